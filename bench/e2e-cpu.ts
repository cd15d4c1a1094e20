import { readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) a process has used so far, or undefined where /proc is not there. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const AZURE_CORE = /^(@azure\/core-|@azure\/logger|@azure\/abort-controller|@typespec\/ts-http-runtime|tslib)/;

/** Who a frame's code belongs to, by the file it comes from. */
function owner(url: string): string {
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const name = /^((?:@[^/]+\/)?[^/]+)/.exec(url.slice(at + '/node_modules/'.length))?.[1] ?? 'a package';
    if (name === '@azure/cosmos') return 'Cosmos SDK (client side)';
    if (name === '@azure/storage-queue' || name === '@azure/storage-common' || name === 'fast-xml-parser') return 'Storage queue SDK (client side, XML included)';
    if (AZURE_CORE.test(name)) return 'Azure core HTTP pipeline (both SDKs)';
    if (name.startsWith('@azure/functions')) return '@azure/functions library';
    if (name === 'zod') return 'zod (HTTP request validation)';
    return 'other packages (mostly loading them at start-up)';
  }
  if (url.includes('/dist/src/local/')) return 'local Functions host (src/local)';
  if (url.includes('/dist/src/workflows/')) return 'workflow code (executors)';
  if (url.includes('/dist/src/')) return 'our code (runtime, engine, codec, stores, functions)';
  if (url.startsWith('node:')) return 'Node.js (http, streams, timers, net)';
  return 'other';
}

/**
 * Splits the busy samples of a V8 CPU profile by owner. Built-in functions without a file (JSON,
 * Buffer, string and array methods) count for the nearest caller that has one, so a
 * JSON.stringify our code calls is ours.
 */
export function cpuProfileShares(file: string): { busySamples: number; shares: Record<string, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const ownerOf = new Map<number, string | undefined>();
  const resolve = (id: number): string | undefined => {
    if (ownerOf.has(id)) return ownerOf.get(id);
    const { functionName, url } = byId.get(id)!.callFrame;
    let result: string | undefined;
    if (functionName === '(idle)') result = undefined;
    else if (functionName === '(garbage collector)') result = 'garbage collection';
    else if (functionName === '(program)' || functionName === '(root)') result = 'native, unattributed';
    else if (url) result = owner(url);
    else {
      const up = parent.get(id);
      result = up === undefined ? 'native, unattributed' : resolve(up);
    }
    ownerOf.set(id, result);
    return result;
  };
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const who = resolve(id);
    if (who === undefined) continue;
    busy++;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  const shares = Object.fromEntries([...counts].sort(([, a], [, b]) => b - a).map(([who, count]) => [who, count / busy]));
  return { busySamples: busy, shares };
}

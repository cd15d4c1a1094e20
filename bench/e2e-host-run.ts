import { performance } from 'node:perf_hooks';
import { processCpuMs } from './e2e-cpu';
import type { CosmosRequestCounter, CosmosRequestKind, HostProcess } from './e2e-services';
import { factorPairsCheckpoints, factorPairsInputs, factorPairsOf, mapConcurrently, spread, type Spread } from './e2e-stats';

export interface HostRunResults {
  description: string;
  runs: number;
  checkpointsPerRun: number;
  /** Supersteps made by queue triggers (every checkpoint but the start's). */
  supersteps: number;
  wallMs: number;
  superstepsPerSecond: number;
  checkpointsPerSecond: number;
  /** Between consecutive checkpoints of a run (createdAt, from the checkpoint list API): what a run waits per superstep, queueing included. */
  superstepLatencyMs: Spread;
  /**
   * The same gap for runs made one at a time after the load, so nothing queues ahead of them:
   * processing plus the host's queue polling (it backs off to host.json maxPollingInterval when idle).
   */
  aloneLatencyMs: Spread;
  /** The host's duration of each step-queue invocation (whole trigger: read, compute, create, enqueue). */
  invocationMs: Spread;
  /** The app's own 'superstep' log: read and compute, before the create. */
  readAndComputeMs: Spread;
  /**
   * CPU milliseconds per superstep of each process over the timed window (Linux /proc; absent
   * elsewhere): the host, Azurite, and this process (the Cosmos protocol server and the driver).
   */
  cpuMsPerSuperstep: { host?: number; azurite?: number; benchProcess: number };
  cosmos: {
    requests: number;
    byKind: Record<CosmosRequestKind, number>;
    perSuperstep: number;
    /** Without each run's start (run document and checkpoint 0) and end (run document update). */
    perSuperstepWithoutStartAndEnd: number;
  };
}

/** Runs made one at a time after the load, for the latency without queueing. */
const ALONE_RUNS = 3;

interface CheckpointItem {
  step: number;
  status: string;
  createdAt: string;
}

/** Milliseconds between consecutive checkpoints (createdAt), in step order. */
function gapsOf(items: readonly CheckpointItem[]): number[] {
  const sorted = [...items].sort((a, b) => a.step - b.step);
  return sorted.slice(1).map((item, i) => Date.parse(item.createdAt) - Date.parse(sorted[i]!.createdAt));
}

const SUPERSTEP_LINE = /^superstep (\{.*\})\s*$/;
const INVOCATION_LINE = /Executed 'Functions\.advanceRun' \(Succeeded, Id=[^,]+, Duration=(\d+)ms\)/;

interface SuperstepLog {
  runId: string;
  step: number;
  status: string;
  durationMs: number;
}

async function api(host: HostProcess, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.api}/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Resolves when every run in `runIds` has logged a final superstep, or rejects after `timeoutMs`. */
function watchRuns(host: HostProcess, runIds: readonly string[], timeoutMs: number) {
  const watched = new Set(runIds);
  const pending = new Set(runIds);
  const supersteps: SuperstepLog[] = [];
  const invocations: number[] = [];
  let resolveDone: () => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    setTimeout(() => reject(new Error(`${pending.size} of ${runIds.length} runs did not finish within ${timeoutMs} ms`)), timeoutMs).unref();
  });
  const stop = host.onLine((line) => {
    const invocation = INVOCATION_LINE.exec(line);
    if (invocation) invocations.push(Number(invocation[1]));
    const match = SUPERSTEP_LINE.exec(line);
    if (!match) return;
    const log = JSON.parse(match[1]!) as SuperstepLog;
    if (!watched.has(log.runId)) return;
    supersteps.push(log);
    if (['Completed', 'Failed', 'Cancelled'].includes(log.status)) {
      pending.delete(log.runId);
      if (pending.size === 0) resolveDone();
    }
  });
  return { done: done.finally(stop), supersteps, invocations };
}

/**
 * `runs` concurrent factor-pairs runs (n near 10^12, so 12 checkpoints each) started over HTTP and
 * advanced by the host's step-queue trigger; Cosmos requests counted at the server from the first
 * start to the last final checkpoint.
 */
export async function runThroughHost(host: HostProcess, counter: CosmosRequestCounter, runs: number, azuritePid?: number): Promise<HostRunResults> {
  // Warm up: connections, the database, the container and the queue exist before the clock starts.
  const warmIds = ['e2e-warmup-1', 'e2e-warmup-2'];
  const warm = watchRuns(host, warmIds, 60_000);
  for (const [i, runId] of warmIds.entries()) await api(host, 'POST', 'workflows/factor-pairs/runs', { input: factorPairsInputs(2)[i], runId });
  await warm.done;

  const inputs = factorPairsInputs(runs);
  const runIds = inputs.map((_, i) => `e2e-${i}`);
  const watch = watchRuns(host, runIds, 10 * 60_000);
  counter.reset();
  const cpuBefore = { host: processCpuMs(host.child.pid), azurite: processCpuMs(azuritePid), bench: process.cpuUsage() };
  const started = performance.now();
  await mapConcurrently(runIds, 32, async (runId, i) => {
    const response = await api(host, 'POST', 'workflows/factor-pairs/runs', { input: inputs[i], runId });
    if (response.status !== 202) throw new Error(`starting ${runId} answered ${response.status}: ${JSON.stringify(response.body)}`);
  });
  await watch.done;
  const wallMs = performance.now() - started;
  const invocations = watch.invocations;
  const readAndCompute = watch.supersteps.map((log) => log.durationMs);
  const cpuAfter = { host: processCpuMs(host.child.pid), azurite: processCpuMs(azuritePid), bench: process.cpuUsage(cpuBefore.bench) };
  const byKind = counter.snapshot();
  const requests = counter.total;

  // After the clock: read every run's checkpoints and check each is one complete chain.
  const expected = factorPairsCheckpoints(inputs[0]!);
  const gaps: number[] = [];
  await mapConcurrently(runIds, 16, async (runId) => {
    const page = await api(host, 'GET', `runs/${runId}/checkpoints?limit=1000`);
    const items = [...(page.body.items as CheckpointItem[])].sort((a, b) => a.step - b.step);
    if (items.length !== expected || items.some((c, i) => c.step !== i) || items[items.length - 1]!.status !== 'Completed') {
      throw new Error(`run ${runId} has checkpoints ${items.map((c) => `${c.step}:${c.status}`).join(', ')}; expected 0..${expected - 1} ending Completed`);
    }
    gaps.push(...gapsOf(items));
  });
  for (const i of [0, Math.floor(runs / 2), runs - 1]) {
    const { body } = await api(host, 'GET', `runs/${runIds[i]}`);
    if (JSON.stringify(body.output) !== JSON.stringify(factorPairsOf(inputs[i]!))) throw new Error(`run ${runIds[i]} output ${JSON.stringify(body.output)} is not the factor pairs of ${inputs[i]}`);
  }
  const aloneGaps: number[] = [];
  for (const [i, n] of factorPairsInputs(ALONE_RUNS).entries()) {
    const runId = `e2e-alone-${i}`;
    const alone = watchRuns(host, [runId], 60_000);
    await api(host, 'POST', 'workflows/factor-pairs/runs', { input: n, runId });
    await alone.done;
    aloneGaps.push(...gapsOf((await api(host, 'GET', `runs/${runId}/checkpoints?limit=1000`)).body.items));
  }
  const supersteps = runs * (expected - 1);
  // The 'start' and 'end' bookkeeping: the run document's create and checkpoint 0 at start, the run document's update at the end.
  const bookkeeping = runs * 3;
  return {
    description:
      `${runs} concurrent factor-pairs runs (n near 10^12: ${expected} checkpoints, ${expected - 1} queue supersteps each) started over HTTP on the local Functions host ` +
      '(child process, built app, host.json as shipped, sweeper disabled), Azurite queue, Cosmos protocol server; clock from the first start to the last final checkpoint',
    runs,
    checkpointsPerRun: expected,
    supersteps,
    wallMs,
    superstepsPerSecond: supersteps / (wallMs / 1000),
    checkpointsPerSecond: (runs * expected) / (wallMs / 1000),
    superstepLatencyMs: spread(gaps),
    aloneLatencyMs: spread(aloneGaps),
    invocationMs: spread(invocations),
    readAndComputeMs: spread(readAndCompute),
    cpuMsPerSuperstep: {
      ...(cpuBefore.host !== undefined && cpuAfter.host !== undefined ? { host: (cpuAfter.host - cpuBefore.host) / supersteps } : {}),
      ...(cpuBefore.azurite !== undefined && cpuAfter.azurite !== undefined ? { azurite: (cpuAfter.azurite - cpuBefore.azurite) / supersteps } : {}),
      benchProcess: (cpuAfter.bench.user + cpuAfter.bench.system) / 1000 / supersteps,
    },
    cosmos: {
      requests,
      byKind,
      perSuperstep: requests / supersteps,
      perSuperstepWithoutStartAndEnd: (requests - bookkeeping) / supersteps,
    },
  };
}

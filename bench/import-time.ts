import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './measure';
import { formatTable } from './table';

/*
 * Cold import time of the function app versus the SDKs it loads. Each figure is the median of
 * fresh `node` processes; in each, `@azure/functions-core` is stubbed as the local host provides
 * it (so registrations run as under a Functions host) and the clock covers only the requires.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const FUNCTIONS_DIR = path.join(ROOT, 'dist', 'src', 'functions');
const RUNS = 15;
/** Goal: our modules add at most this much to the import time of the SDKs they load. */
export const IMPORT_GOAL = { maxOverhead: 0.15 };
/** The SDKs the issue names: everything the app can load, the Cosmos store and identity included. */
const ALL_SDKS = ['@azure/functions', '@azure/cosmos', '@azure/identity', '@azure/storage-queue', 'zod'];

/** Settings under which the app builds itself at its first invocation without any request: a Cosmos store with a key. */
const FIRST_USE_ENV = {
  CHECKPOINT_STORE: 'cosmos',
  COSMOS_ENDPOINT: 'https://localhost:8081/',
  COSMOS_KEY: Buffer.from('import-time').toString('base64'),
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

type ChildMode = 'app' | 'app-first-use' | 'packages' | 'attribute';

interface ChildReport {
  ms: number;
  /** Packages our modules required directly (bare specifiers), in first-seen order. */
  packages: string[];
  /** Exclusive milliseconds per owner (attribute mode). */
  exclusive?: Record<string, number>;
}

// ---------------------------------------------------------------- child side

function stubFunctionsCore(): void {
  const key = '\0import-time:@azure/functions-core';
  const internals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? key : resolve.call(this, request, ...rest);
  };
  const core = new Module(key);
  core.filename = key;
  core.loaded = true;
  const disposable = { dispose() {} };
  core.exports = { setProgrammingModel() {}, getProgrammingModel() {}, registerFunction: () => disposable, registerHook: () => disposable, log() {} };
  internals._cache[key] = core;
}

function packageOf(request: string): string | undefined {
  if (request.startsWith('.') || request.startsWith('/') || request.startsWith('node:') || Module.isBuiltin(request)) return undefined;
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const ownerOf = (file: string): string => {
  const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at >= 0) return `package ${packageOf(file.slice(at + 14).split(path.sep).join('/'))}`;
  return path.relative(ROOT, file);
};

/** Watches every require: packages our modules load directly and, when asked, exclusive time per module. */
function watchRequires(timeEach: boolean): { packages: string[]; exclusive: Map<string, number> } {
  const internals = Module as unknown as { _load: (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown };
  const load = internals._load;
  const packages: string[] = [];
  const exclusive = new Map<string, number>();
  const stack: Array<{ children: number }> = [];
  const ours = path.join(ROOT, 'dist', 'src') + path.sep;
  internals._load = function (request, parent, isMain) {
    const name = packageOf(request);
    if (name && parent?.filename?.startsWith(ours) && !packages.includes(name) && name !== '@azure/functions-core') packages.push(name);
    if (!timeEach) return load.call(this, request, parent, isMain);
    const frame = { children: 0 };
    stack.push(frame);
    const started = performance.now();
    try {
      return load.call(this, request, parent, isMain);
    } finally {
      const took = performance.now() - started;
      stack.pop();
      let owner = request;
      try {
        owner = Module.isBuiltin(request) ? 'node built-ins' : ownerOf(require.resolve(request, { paths: [path.dirname(parent?.filename ?? ROOT)] }));
      } catch {
        owner = request;
      }
      exclusive.set(owner, (exclusive.get(owner) ?? 0) + took - frame.children);
      // The caller's own time excludes this load and the bookkeeping just done for it.
      if (stack.length > 0) stack[stack.length - 1]!.children += performance.now() - started;
    }
  };
  return { packages, exclusive };
}

function entryModules(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => path.join(FUNCTIONS_DIR, name));
}

function runChild(mode: ChildMode, names: string[]): ChildReport {
  stubFunctionsCore();
  const watch = watchRequires(mode === 'attribute');
  const targets = mode === 'packages' ? names.map((name) => require.resolve(name, { paths: [ROOT] })) : entryModules();
  const started = performance.now();
  for (const target of targets) require(target);
  if (mode === 'app-first-use' || mode === 'attribute') {
    Object.assign(process.env, FIRST_USE_ENV);
    (require(path.join(FUNCTIONS_DIR, 'http', 'app-instance.js')) as { getApp: () => unknown }).getApp();
  }
  const ms = performance.now() - started;
  return { ms, packages: watch.packages, ...(mode === 'attribute' ? { exclusive: Object.fromEntries(watch.exclusive) } : {}) };
}

// ---------------------------------------------------------------- parent side

function spawnChild(mode: ChildMode, names: string[] = []): ChildReport {
  const output = execFileSync(process.execPath, [__filename, '--child', mode, ...names], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
  const line = output.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

export interface ImportComparison {
  /** What the app side loads and what the SDK side loads. */
  app: string;
  sdks: string[];
  appMs: number;
  sdkMs: number;
  /** (app − SDKs) / SDKs. */
  overhead: number;
  appRunsMs: number[];
  sdkRunsMs: number[];
}

export interface ImportTimeResults {
  description: string;
  runs: number;
  goal: typeof IMPORT_GOAL;
  /** Importing the entry modules versus the SDKs they load at import. */
  atImport: ImportComparison;
  /** Importing them and building the app as the first invocation does (Cosmos store chosen) versus the SDKs that loads. */
  atFirstUse: ImportComparison;
  /** The entry modules versus every SDK the issue names (the Cosmos SDK and identity are loaded only when the Cosmos store is chosen). */
  versusAllSdks: ImportComparison;
  /** Exclusive milliseconds per module or package while importing and building the app, median over the runs; our modules and the largest packages. */
  attribution: { ourModulesMs: number; ourModuleCount: number; topOurModules: Array<[string, number]>; topPackages: Array<[string, number]> };
  goalMet: boolean;
}

function compare(app: string, appMode: ChildMode, sdks: string[]): ImportComparison {
  const appRunsMs: number[] = [];
  const sdkRunsMs: number[] = [];
  // Interleaved, so drift in the machine's load hits both sides alike.
  for (let i = 0; i < RUNS; i++) {
    appRunsMs.push(spawnChild(appMode).ms);
    sdkRunsMs.push(spawnChild('packages', sdks).ms);
  }
  const appMs = median(appRunsMs);
  const sdkMs = median(sdkRunsMs);
  return { app, sdks, appMs, sdkMs, overhead: (appMs - sdkMs) / sdkMs, appRunsMs, sdkRunsMs };
}

export function benchImportTime(): ImportTimeResults {
  const atImportPackages = spawnChild('app').packages;
  const firstUsePackages = spawnChild('app-first-use').packages;
  const atImport = compare('require dist/src/functions/*.js', 'app', atImportPackages);
  const atFirstUse = compare('require dist/src/functions/*.js, then getApp() with the Cosmos store', 'app-first-use', firstUsePackages);
  const versusAllSdks = compare('require dist/src/functions/*.js', 'app', ALL_SDKS);

  const attributions = Array.from({ length: RUNS }, () => spawnChild('attribute').exclusive ?? {});
  const owners = new Set(attributions.flatMap((a) => Object.keys(a)));
  const medians = [...owners].map((owner) => [owner, median(attributions.map((a) => a[owner] ?? 0))] as [string, number]).sort(([, a], [, b]) => b - a);
  const ourModules = medians.filter(([owner]) => owner.startsWith(`dist${path.sep}src`));
  const results: ImportTimeResults = {
    description: `median of ${RUNS} fresh node processes per figure; @azure/functions-core stubbed as the local host provides it; the clock covers the requires only`,
    runs: RUNS,
    goal: IMPORT_GOAL,
    atImport,
    atFirstUse,
    versusAllSdks,
    attribution: {
      ourModulesMs: ourModules.reduce((sum, [, ms]) => sum + ms, 0),
      ourModuleCount: ourModules.length,
      topOurModules: ourModules.slice(0, 12).map(([owner, ms]) => [owner, round(ms)]),
      topPackages: medians.filter(([owner]) => owner.startsWith('package ')).slice(0, 8).map(([owner, ms]) => [owner, round(ms)]),
    },
    goalMet: atImport.overhead <= IMPORT_GOAL.maxOverhead && atFirstUse.overhead <= IMPORT_GOAL.maxOverhead,
  };
  print(results);
  return results;
}

const round = (ms: number) => Number(ms.toFixed(1));
const percent = (share: number) => `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}%`;

function print(results: ImportTimeResults): void {
  console.log(`${results.description}\n`);
  const row = (what: string, c: ImportComparison) => [what, round(c.appMs), round(c.sdkMs), c.sdks.join(', '), percent(c.overhead)];
  console.log(
    formatTable(
      ['comparison', 'app ms', 'SDKs ms', 'SDKs', 'overhead'],
      [
        row('import the entry modules', results.atImport),
        row('import + build the app (first invocation, Cosmos store)', results.atFirstUse),
        row('import the entry modules vs every SDK named', results.versusAllSdks),
      ],
    ),
  );
  const { attribution } = results;
  console.log(
    `\nour ${attribution.ourModuleCount} modules' own time (loading, compiling, running their top level) while importing and building the app: ${round(attribution.ourModulesMs)} ms; largest: ` +
      `${attribution.topOurModules.map(([owner, ms]) => `${owner} ${ms}`).join(', ')}`,
  );
  console.log(`largest packages: ${attribution.topPackages.map(([owner, ms]) => `${owner.replace('package ', '')} ${ms}`).join(', ')}`);
  console.log(`\ngoal: our modules add ≤ ${(IMPORT_GOAL.maxOverhead * 100).toFixed(0)}% to the SDKs' import time: ${results.goalMet ? 'met' : 'NOT met'}`);
}

if (require.main === module) {
  const [flag, mode, ...names] = process.argv.slice(2);
  if (flag === '--child') {
    console.log(JSON.stringify(runChild(mode as ChildMode, names)));
  } else {
    console.log(`\n${JSON.stringify(benchImportTime(), null, 2)}`);
  }
}

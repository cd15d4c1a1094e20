import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuProfileShares } from './e2e-cpu';
import { runThroughHost, type HostRunResults } from './e2e-host-run';
import { measureInProcess, type InProcessResults } from './e2e-in-process';
import { startCosmos, startHost, startQueue, type CosmosRequestCounter } from './e2e-services';
import { formatTable } from './table';

/** Runs through the host; `E2E_RUNS` overrides. Each factor-pairs run near 10^12 makes 11 queue supersteps. */
const DEFAULT_RUNS = 200;
/** Runs measured one message at a time for the in-process split. */
const IN_PROCESS_RUNS = 20;
/** Goal: our own code takes at most this share of a superstep's wall time. */
export const E2E_GOAL = { maxOurCodeShare: 0.1 };

export interface HostProfile {
  description: string;
  /** Samples in which the host was busy (1 ms apart by default). */
  busySamples: number;
  /** Share of the host's busy CPU time by owner of the code (0..1). */
  shares: Record<string, number>;
}

export interface E2eResults {
  description: string;
  workload: string;
  goal: typeof E2E_GOAL;
  host: HostRunResults;
  hostProfile: HostProfile;
  inProcess: InProcessResults;
  goalMet: boolean;
}

function runsFromEnv(): number {
  const raw = process.env.E2E_RUNS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_RUNS;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1 || runs > 5_000) throw new Error(`E2E_RUNS must be a whole number from 1 to 5000, not '${raw}'`);
  return runs;
}

/**
 * The whole path: N concurrent runs through the local Functions host (the built app in a child
 * process) with Azurite and the Cosmos protocol server; then the same workload in process, to
 * split a superstep's time between store I/O, queue I/O, workflow code and our code.
 */
export async function benchE2e(): Promise<E2eResults> {
  const runs = runsFromEnv();
  const [queue, cosmos] = await Promise.all([startQueue(), startCosmos()]);
  const env = {
    AzureWebJobsStorage: queue.connectionString,
    CHECKPOINT_STORE: 'cosmos',
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    COSMOS_CONTAINER: 'checkpoints',
    MAX_DEQUEUE_COUNT: '5',
    // The sweeper lists runs once a minute: a background cost, not a superstep's.
    'AzureWebJobs.sweepStalledRuns.Disabled': 'true',
  };
  try {
    let host: HostRunResults;
    const hostProcess = await startHost({ ...env, COSMOS_DATABASE: 'bench-e2e', STEP_QUEUE: 'bench-e2e-steps' });
    try {
      host = await runThroughHost(hostProcess, cosmos.counter, runs, queue.azurite.pid);
    } finally {
      await hostProcess.stop();
    }
    const hostProfile = await profileHost({ ...env, COSMOS_DATABASE: 'bench-e2e-profile', STEP_QUEUE: 'bench-e2e-profile' }, cosmos.counter, runs);
    const inProcess = await measureInProcess({ ...env, COSMOS_DATABASE: 'bench-e2e-in-process', STEP_QUEUE: 'bench-e2e-in-process' }, cosmos.counter, IN_PROCESS_RUNS);
    const results: E2eResults = {
      description: 'end to end: the local Functions host over the built app, Azurite, the Cosmos protocol server (in this process); then the same workload in process for the time split',
      workload: 'factor-pairs with n near 10^12: 100,000 candidate divisors per superstep, 12 checkpoints per run',
      goal: E2E_GOAL,
      host,
      hostProfile,
      inProcess,
      goalMet: inProcess.share.ourCode <= E2E_GOAL.maxOurCodeShare,
    };
    print(results);
    return results;
  } finally {
    await Promise.allSettled([queue.stop(), cosmos.stop()]);
  }
}

/** The same workload again on a host running with --cpu-prof: whose code keeps the host busy. */
async function profileHost(env: Record<string, string>, counter: CosmosRequestCounter, runs: number): Promise<HostProfile> {
  const dir = mkdtempSync(path.join(tmpdir(), 'supersteps-host-profile-'));
  try {
    const hostProcess = await startHost(env, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    try {
      await runThroughHost(hostProcess, counter, runs);
    } finally {
      await hostProcess.stop();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the profiled host wrote no CPU profile in ${dir}`);
    const { busySamples, shares } = cpuProfileShares(path.join(dir, file));
    return {
      description: `V8 CPU profile of the host over a second pass of ${runs} runs (start-up and warm-up included); built-in functions count for their caller`,
      busySamples,
      shares,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (value: number) => Number(value.toFixed(2));
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function print({ host, hostProfile, inProcess, goalMet }: E2eResults): void {
  console.log(`through the host: ${host.description}\n`);
  console.log(
    formatTable(
      ['runs', 'checkpoints/run', 'supersteps', 'wall s', 'supersteps/s', 'checkpoints/s'],
      [[host.runs, host.checkpointsPerRun, host.supersteps, ms(host.wallMs / 1000), ms(host.superstepsPerSecond), ms(host.checkpointsPerSecond)]],
    ),
  );
  console.log('');
  console.log(
    formatTable(
      ['ms per superstep', 'p50', 'p95', 'mean'],
      [
        [`latency: checkpoint n to n+1 (createdAt), ${host.runs} runs at once`, host.superstepLatencyMs.p50, host.superstepLatencyMs.p95, ms(host.superstepLatencyMs.mean)],
        ['latency: checkpoint n to n+1, one run alone', host.aloneLatencyMs.p50, host.aloneLatencyMs.p95, ms(host.aloneLatencyMs.mean)],
        ['host invocation of the step trigger', host.invocationMs.p50, host.invocationMs.p95, ms(host.invocationMs.mean)],
        ["read + compute (the app's superstep log)", ms(host.readAndComputeMs.p50), ms(host.readAndComputeMs.p95), ms(host.readAndComputeMs.mean)],
      ],
    ),
  );
  const kinds = Object.entries(host.cosmos.byKind).filter(([, count]) => count > 0);
  console.log(
    `\nCosmos requests: ${host.cosmos.requests} (${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}); ` +
      `${ms(host.cosmos.perSuperstep)} per superstep, ${ms(host.cosmos.perSuperstepWithoutStartAndEnd)} without each run's start and end bookkeeping`,
  );

  const cpu = host.cpuMsPerSuperstep;
  console.log(
    `CPU ms per superstep: host ${cpu.host === undefined ? 'n/a' : ms(cpu.host)}, Azurite ${cpu.azurite === undefined ? 'n/a' : ms(cpu.azurite)}, ` +
      `this process (Cosmos protocol server, driver) ${ms(cpu.benchProcess)}`,
  );
  console.log(`\nhost CPU by owner of the code (${hostProfile.description}):\n`);
  console.log(formatTable(['owner', 'share of busy CPU'], Object.entries(hostProfile.shares).map(([owner, share]) => [owner, percent(share)])));

  console.log(`\nin process: ${inProcess.description}\n`);
  const m = inProcess.meanMs;
  console.log(
    formatTable(
      ['per superstep', 'mean ms', 'share'],
      [
        ['store I/O (CheckpointStore calls: Cosmos SDK, HTTP, server)', ms(m.store), percent(inProcess.share.storeIo)],
        ['queue I/O (StepQueue.send to Azurite)', ms(m.queue), percent(inProcess.share.queueIo)],
        ['workflow code (factor-pairs executors)', ms(m.executors), percent(inProcess.share.executors)],
        ['our code (runtime, engine, codec, checks, log lines)', ms(m.ourCode), percent(inProcess.share.ourCode)],
        ['total (handleQueueMessage)', ms(m.total), '100%'],
      ],
    ),
  );
  console.log(
    `\nsupersteps measured: ${inProcess.supersteps}; total p50 ${ms(inProcess.totalMs.p50)} ms, p95 ${ms(inProcess.totalMs.p95)} ms; ` +
      `our code p50 ${ms(inProcess.ourCodeMs.p50)} ms, p95 ${ms(inProcess.ourCodeMs.p95)} ms; ` +
      `Cosmos requests per superstep p50 ${inProcess.cosmosRequestsPerSuperstep.p50}, mean ${ms(inProcess.cosmosRequestsPerSuperstep.mean)}`,
  );
  console.log(
    `host work per message outside the superstep (in process, same queue): receive ${ms(inProcess.hostQueueMs.receivePerMessage)} ms (batches of up to 32), ` +
      `delete ${ms(inProcess.hostQueueMs.delete)} ms`,
  );
  console.log(`\ngoal: our code ≤ ${percent(E2E_GOAL.maxOurCodeShare)} of superstep time: ${goalMet ? 'met' : 'NOT met'} (${percent(inProcess.share.ourCode)})`);
}

if (require.main === module) {
  benchE2e().then(
    (results) => console.log(`\n${JSON.stringify(results, null, 2)}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { CosmosCheckpointStore } from '../../src/checkpoints/cosmos-store';
import type { Checkpoint } from '../../src/engine';
import { workflow } from '../../src/engine';
import { StorageStepQueue } from '../../src/queue/storage-step-queue';
import { DEFAULT_STEP_QUEUE, WorkflowRuntime, poisonQueueName } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';
import { WorkflowRegistry } from '../../src/workflows/registry';
import { startAzurite, type TestAzurite } from '../support/azurite';
import { LOCAL_CONNECTION_POLICY } from '../support/cosmos-server';
import { auditChain, type ChainAudit } from './chain-audit';
import { startCosmosServerThread } from './cosmos-thread';
import { FaultInjector, seededRandom, type FaultRates } from './fault-injector';
import { FaultyStepQueue } from './faulty-queue';
import { FaultyCheckpointStore } from './faulty-store';
import { CountingLogger, formatTable, tally, type FaultFigures } from './figures';
import { FunctionsHostEmulator, sleep, type HostStats } from './functions-host';
import { answerWhenWaiting, forEachConcurrently, startRun, type Answerer } from './run-driver';
import { cleanOutcomes, makeRunMix, type RunSpec } from './run-mix';
import { SaveLog } from './save-log';
import { SweeperTimer, type SweeperStats } from './sweeper-timer';

export interface FaultSuiteOptions {
  runs: number;
  seed: number;
  rates: FaultRates;
  consumers: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxDequeueCount: number;
  followUpGraceMs: number;
  sweepIntervalMs: number;
  stalledAfterMs: number;
  /** Runs whose first message is dropped for sure: only the sweeper can move them. */
  forcedDrops: number;
  /** Runs are started at this pace, so the sweeper's listings stay a bounded size. */
  startsPerSecond: number;
  /** Every run must finish within this long after the host starts. */
  budgetMs: number;
}

export interface PoisonedRun {
  runId: string;
  /** What the reason recorded on the failed run must say. */
  why: string;
  latest?: Checkpoint;
}

export interface FaultSuiteResult {
  seed: number;
  figures: FaultFigures;
  /** What went wrong, run by run (empty when all is well). */
  problems: string[];
  host: HostStats;
  sweeper: SweeperStats;
  forcedDropRuns: Array<{ runId: string; status?: string }>;
  poisoned: PoisonedRun[];
  /** Errors of the test driver itself (starting and answering runs). */
  driverErrors: string[];
  /** What the runtime logged, by message: how often it repaired what. */
  logged: Map<string, number>;
  /** Seconds from the first start until every run had finished (or the budget ran out). */
  runSeconds: number;
  seconds: number;
}

interface Services {
  rawStore: CosmosCheckpointStore;
  queueClient: QueueClient;
  poisonClient: QueueClient;
  rawQueue: StorageStepQueue;
}

/**
 * Starts Azurite and the Cosmos protocol server, runs the mix on the real runtime through fault
 * injecting decorators with several host instances and the sweeper, then audits every run
 * straight from the store. Everything it started is stopped whatever happens.
 */
export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultSuiteResult> {
  const began = Date.now();
  const specs = makeRunMix(options.runs, seededRandom(options.seed));
  const expected = await cleanOutcomes(specs);
  const cosmos = await startCosmosServerThread();
  let azurite: TestAzurite | undefined;
  const rawStore = new CosmosCheckpointStore({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    databaseId: 'faults',
    containerId: 'checkpoints',
    clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY },
  });
  try {
    azurite = await startAzurite();
    await rawStore.listRuns({ limit: 1 }); // Creates the database and container before any fault.
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const queueClient = service.getQueueClient(DEFAULT_STEP_QUEUE);
    const poisonClient = service.getQueueClient(poisonQueueName(DEFAULT_STEP_QUEUE));
    await queueClient.createIfNotExists();
    await poisonClient.createIfNotExists();
    const result = await runMix(options, specs, { rawStore, queueClient, poisonClient, rawQueue: new StorageStepQueue(queueClient) });
    const { figures, problems } = tally(specs, expected, result.audits, result.saves, result.faults);
    return { ...result.report, seed: options.seed, figures, problems, seconds: Math.round((Date.now() - began) / 100) / 10 };
  } finally {
    await rawStore.close();
    await azurite?.stop();
    await cosmos.stop();
  }
}

async function runMix(options: FaultSuiteOptions, specs: RunSpec[], services: Services) {
  const { rawStore, queueClient, poisonClient, rawQueue } = services;
  const faults = new FaultInjector(options.rates, seededRandom(options.seed + 1));
  const saves = new SaveLog();
  const logger = new CountingLogger();
  const runtime = new WorkflowRuntime({
    store: new FaultyCheckpointStore(rawStore, faults, saves),
    queue: new FaultyStepQueue(rawQueue, faults),
    workflows: shippedWorkflows(),
    followUpGraceMs: options.followUpGraceMs,
    logger,
  });
  const deadline = Date.now() + options.budgetMs;
  const host = new FunctionsHostEmulator({
    runtime,
    queue: queueClient,
    poisonQueue: poisonClient,
    faults,
    consumers: options.consumers,
    batchSize: options.batchSize,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    maxDequeueCount: options.maxDequeueCount,
    idlePollMs: 100,
    deadline,
  });
  const sweeper = new SweeperTimer(runtime, { intervalMs: options.sweepIntervalMs, stalledAfterMs: options.stalledAfterMs, deadline });
  const driverErrors: string[] = [];
  const every = Math.max(1, Math.floor(specs.length / options.forcedDrops));
  // Spread over the mix and its three workflows.
  const forcedDropRuns = Array.from({ length: options.forcedDrops }, (_, k) => specs[k * every + (k % 10)]).filter((spec) => spec !== undefined);
  for (const spec of forcedDropRuns) faults.dropNextSend.add(spec.runId);

  let answerer: Answerer | undefined;
  let runSeconds = 0;
  let poisoned: PoisonedRun[] = [];
  host.start();
  sweeper.start();
  try {
    poisoned = await startPoisonedRuns(runtime, rawStore, rawQueue, faults, driverErrors);
    answerer = answerWhenWaiting(runtime, rawQueue, saves, specs, deadline, driverErrors);
    const firstStart = Date.now();
    const paced = specs.map((spec, index) => ({ spec, at: firstStart + (index * 1000) / options.startsPerSecond }));
    await forEachConcurrently(paced, 16, async ({ spec, at }) => {
      await sleep(at - Date.now());
      await startRun(runtime, spec, driverErrors);
    });
    const watched = [...specs, ...poisoned].map(({ runId }) => runId);
    while (Date.now() < deadline && !watched.every((runId) => saves.finished.has(runId))) await sleep(250);
    runSeconds = Math.round((Date.now() - firstStart) / 100) / 10;
  } finally {
    await answerer?.stop();
    await Promise.all([host.stop(), sweeper.stop()]);
  }

  const audits = new Map<string, ChainAudit>();
  await forEachConcurrently([...specs, ...poisoned], 8, async ({ runId }) => void audits.set(runId, await auditChain(rawStore, runId)));
  for (const run of poisoned) {
    const latest = audits.get(run.runId)?.latest;
    if (latest) run.latest = latest;
  }
  return {
    audits,
    saves,
    faults,
    report: {
      host: host.stats,
      sweeper: sweeper.stats,
      forcedDropRuns: forcedDropRuns.map(({ runId }) => {
        const status = audits.get(runId)?.latest?.status;
        return status ? { runId, status } : { runId };
      }),
      poisoned,
      driverErrors,
      logged: logger.counts,
      runSeconds,
    },
  };
}

const RETIRED_WORKFLOW = 'retired-workflow';

/**
 * Two runs whose messages can only fail: one of a workflow this app does not have (started by an
 * app that had it, on the same store and queue), one whose checkpoint reads always fail.
 */
async function startPoisonedRuns(
  runtime: WorkflowRuntime,
  rawStore: CosmosCheckpointStore,
  rawQueue: StorageStepQueue,
  faults: FaultInjector,
  driverErrors: string[],
): Promise<PoisonedRun[]> {
  const retired = workflow(RETIRED_WORKFLOW, { version: '1' })
    .executor('only', (_input: unknown, ctx) => ctx.output('never reached'))
    .start('only')
    .build();
  const olderApp = new WorkflowRuntime({ store: rawStore, queue: rawQueue, workflows: new WorkflowRegistry([retired]) });
  const unknown: PoisonedRun = { runId: 'poison-unknown-workflow', why: `workflow '${RETIRED_WORKFLOW}' is not registered` };
  await olderApp.start({ workflow: RETIRED_WORKFLOW, input: null, runId: unknown.runId });
  const broken: PoisonedRun = { runId: 'poison-broken-reads', why: "reading run 'poison-broken-reads' always fails" };
  faults.brokenReads.add(broken.runId);
  await startRun(runtime, { runId: broken.runId, workflow: 'factor-pairs', input: 12 }, driverErrors);
  return [unknown, broken];
}

/** The figures as the table the suite prints. */
export function formatFigures(result: FaultSuiteResult): string {
  const { figures, host, sweeper, poisoned, logged } = result;
  return formatTable([
    ['runs', figures.runs],
    ...[...figures.faults].map(([kind, count]) => [`  fault: ${kind}`, count] as const),
    ['faults injected', [...figures.faults.values()].reduce((sum, n) => sum + n, 0)],
    ['runs completed', figures.completed],
    ['forked runs', figures.forked],
    ['lost steps', figures.lostSteps],
    ['outputs different from the clean run', figures.differentOutputs],
    ['runs stuck', figures.stuck],
    ['handler calls (failed)', `${host.handled} (${host.failed})`],
    ['follow-ups re-sent by a redelivery', logged.get('re-sent a lost follow-up message') ?? 0],
    ['sweeps / runs re-sent by the sweeper', `${sweeper.sweeps} / ${sweeper.resent}`],
    ['messages moved to the poison queue', host.movedToPoison],
    ['poisoned runs recorded Failed', poisoned.filter((run) => run.latest?.status === 'Failed').length],
    ['seconds until all runs finished / in all', `${result.runSeconds} / ${result.seconds}`],
    ['seed (FAULT_SEED replays the mix)', result.seed],
  ]);
}

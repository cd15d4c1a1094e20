import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { CosmosCheckpointStore } from '../src/checkpoints/cosmos-store';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint } from '../src/engine/checkpoint';
import { median } from './measure';
import { formatTable } from './table';

const STEPS = 1_000;
/** Supersteps whose HTTP requests are counted one by one. */
const COUNTED_AT = [10, 1_000] as const;
/** The store's promise: one point read and one create per superstep, whatever the step. */
export const COSMOS_REQUEST_GOAL = { requestsPerStep: 2 };

export interface CosmosRequestResults {
  description: string;
  steps: number;
  goal: typeof COSMOS_REQUEST_GOAL;
  requestsPerStepAt10: number;
  requestsPerStepAt1000: number;
  /** Method and path of each request of those supersteps. */
  requestsAt10: string[];
  requestsAt1000: string[];
  /** Mean wall time of a superstep (load + save) against the local server, over all steps. */
  msPerStep: number;
  medianMsPerStep: number;
  /** Request units of one superstep as the server reports them (the local server says 1 per request). */
  requestChargePerStep: number;
  checkpointBytes: number;
  goalMet: boolean;
}

/**
 * One long run against the local Cosmos protocol server (in process, over HTTP with keep-alive),
 * advanced the way the runtime advances it: point-read checkpoint n, create checkpoint n + 1.
 * Every HTTP request the SDK sends is counted where the server receives it.
 */
export async function benchCosmosRequests(): Promise<CosmosRequestResults> {
  const server = createHttpServer({ keepAlive: true });
  const received: string[] = [];
  server.on('request', (request) => received.push(`${request.method} ${request.url}`));
  await listen(server);
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const store = new CosmosCheckpointStore({
    endpoint,
    key: Buffer.from('bench').toString('base64'),
    databaseId: 'bench',
    clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } },
  });
  try {
    const runId = `bench-${Date.now()}`;
    await store.save(firstCheckpoint(runId));
    const stepMs: number[] = [];
    const counted = new Map<number, string[]>();
    let charge = 0;
    let bytes = 0;
    for (let step = 1; step <= STEPS; step++) {
      const before = received.length;
      const started = performance.now();
      let readCharge = 0;
      const previous = await store.load(runId, step - 1, { onCharge: (value) => (readCharge = value) });
      const saved = await store.save(nextCheckpoint(previous));
      stepMs.push(performance.now() - started);
      if ((COUNTED_AT as readonly number[]).includes(step)) counted.set(step, received.slice(before));
      charge = readCharge + (saved.requestCharge ?? 0);
      bytes = saved.bytes;
    }
    const at10 = counted.get(10)!;
    const at1000 = counted.get(1_000)!;
    const results: CosmosRequestResults = {
      description: `one run of ${STEPS} supersteps (point read n, create n + 1) against the local Cosmos protocol server; requests counted at the server`,
      steps: STEPS,
      goal: COSMOS_REQUEST_GOAL,
      requestsPerStepAt10: at10.length,
      requestsPerStepAt1000: at1000.length,
      requestsAt10: at10,
      requestsAt1000: at1000,
      msPerStep: stepMs.reduce((sum, ms) => sum + ms, 0) / stepMs.length,
      medianMsPerStep: median(stepMs),
      requestChargePerStep: charge,
      checkpointBytes: bytes,
      goalMet: at10.length === COSMOS_REQUEST_GOAL.requestsPerStep && at1000.length === COSMOS_REQUEST_GOAL.requestsPerStep,
    };
    console.log(
      formatTable(
        ['superstep', 'HTTP requests', 'requests'],
        [
          [10, results.requestsPerStepAt10, at10.join(', ')],
          [1_000, results.requestsPerStepAt1000, at1000.join(', ')],
        ],
      ),
    );
    console.log(`\nms per superstep: mean ${results.msPerStep.toFixed(2)}, median ${results.medianMsPerStep.toFixed(2)}; goal ${COSMOS_REQUEST_GOAL.requestsPerStep} requests per superstep: ${results.goalMet ? 'met' : 'NOT met'}`);
    return results;
  } finally {
    await store.close();
    await close(server);
  }
}

function firstCheckpoint(runId: string): Checkpoint {
  const now = new Date().toISOString();
  return {
    version: CHECKPOINT_FORMAT_VERSION,
    runId,
    step: 0,
    workflow: 'bench-counter',
    workflowVersion: '1',
    graphHash: 'bench',
    status: 'Running',
    transition: 'start',
    createdAt: now,
    runCreatedAt: now,
    parent: null,
    messages: [{ source: null, target: 'count', kind: 'message', payload: STEPS }],
    state: { count: 0 },
    fanIn: {},
    pendingRequests: [],
    timers: [],
    attempt: 0,
    metrics: { durationMs: 0, bytes: 0 },
  };
}

/** What a counter superstep makes of checkpoint n: the count goes up by one. */
function nextCheckpoint(previous: Checkpoint): Checkpoint {
  const count = ((previous.state as { count: number }).count ?? 0) + 1;
  return {
    ...previous,
    step: previous.step + 1,
    transition: 'superstep',
    createdAt: new Date().toISOString(),
    parent: { runId: previous.runId, step: previous.step },
    messages: [{ source: 'count', target: 'count', kind: 'message', payload: STEPS }],
    state: { count },
    metrics: { durationMs: 0, bytes: 0 },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

if (require.main === module) {
  benchCosmosRequests().then(
    (results) => console.log(`\n${JSON.stringify(results, null, 2)}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

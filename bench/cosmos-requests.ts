import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { CosmosCheckpointStore } from '../src/checkpoints/cosmos-store';
import type { Delivery, QueueOutcome } from '../src/runtime';
import { drainQueue, InMemoryStepQueue, WorkflowRuntime } from '../src/runtime';
import { WorkflowRegistry } from '../src/workflows/registry';
import { counterWorkflow } from './counter';
import { median } from './measure';
import { formatTable } from './table';

const STEPS = 1_000;
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
  /** Request units recorded on checkpoint 1,000: its parent's read plus the parent's save (the local server says 1 per request). */
  requestChargePerStep: number;
  checkpointBytes: number;
  goalMet: boolean;
}

/**
 * One long run of the counter workflow through the real one-trigger path (WorkflowRuntime over the
 * Cosmos store, an in-memory step queue) against the local Cosmos protocol server, in process,
 * over HTTP with keep-alive. Every HTTP request the SDK sends is counted where the server receives it.
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
  const supersteps: Array<{ requests: string[]; ms: number }> = [];
  class CountingRuntime extends WorkflowRuntime {
    override async handleQueueMessage(raw: unknown, delivery?: Delivery): Promise<QueueOutcome> {
      const before = received.length;
      const started = performance.now();
      const outcome = await super.handleQueueMessage(raw, delivery);
      supersteps.push({ requests: received.slice(before), ms: performance.now() - started });
      return outcome;
    }
  }
  const queue = new InMemoryStepQueue();
  const runtime = new CountingRuntime({ store, queue, workflows: new WorkflowRegistry([counterWorkflow]) });
  try {
    const runId = `bench-${Date.now()}`;
    // One superstep past the last counted one, so the run's final write (which also records the
    // end of the run in its run document) is not among the counted supersteps.
    await runtime.start({ workflow: counterWorkflow.name, input: STEPS + 1, runId });
    await drainQueue(runtime, queue);
    const latest = await store.latest(runId);
    if (latest?.status !== 'Completed' || latest.step !== STEPS + 1) throw new Error(`the counter run did not complete: ${latest?.status} at ${latest?.step}`);
    // Superstep k makes checkpoint k from checkpoint k - 1.
    const at10 = supersteps[10 - 1]!.requests;
    const at1000 = supersteps[1_000 - 1]!.requests;
    const stepMs = supersteps.map((s) => s.ms);
    const results: CosmosRequestResults = {
      description: `one counter run of ${STEPS + 1} supersteps through WorkflowRuntime and the Cosmos store against the local Cosmos protocol server; requests counted at the server`,
      steps: STEPS,
      goal: COSMOS_REQUEST_GOAL,
      requestsPerStepAt10: at10.length,
      requestsPerStepAt1000: at1000.length,
      requestsAt10: at10,
      requestsAt1000: at1000,
      msPerStep: stepMs.reduce((sum, ms) => sum + ms, 0) / stepMs.length,
      medianMsPerStep: median(stepMs),
      requestChargePerStep: (await store.load(runId, 1_000)).metrics.requestCharge ?? 0,
      checkpointBytes: Buffer.byteLength(JSON.stringify(await store.load(runId, 1_000))),
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

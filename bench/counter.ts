import { MemoryCheckpointStore } from '../src/checkpoints/memory-store';
import type { Checkpoint } from '../src/engine';
import { workflow } from '../src/engine';
import type { Delivery, QueueOutcome } from '../src/runtime';
import { drainQueue, InMemoryStepQueue, WorkflowRuntime } from '../src/runtime';
import { WorkflowRegistry } from '../src/workflows/registry';
import type { CounterRun } from './measure';
import { heapUsedAfterGc, stepDurations } from './measure';

/**
 * The self-loop counter as a user would write it: the count lives in shared state, the message
 * carries the target, and the executor sends to itself until the count reaches it.
 */
export const counterWorkflow = workflow<number>('bench-counter', { version: '1', maxSupersteps: 1_000_000 })
  .executor('count', (until: number, ctx) => {
    const count = (ctx.state.get<number>('count') ?? 0) + 1;
    ctx.state.set('count', count);
    if (count < until) ctx.send(until);
  })
  .start('count')
  .edge('count', 'count')
  .build();

/** The real runtime, with a timestamp taken as each queue message (one superstep) is handled. */
class TimedRuntime extends WorkflowRuntime {
  readonly handledAt: number[] = [];

  override async handleQueueMessage(raw: unknown, delivery?: Delivery): Promise<QueueOutcome> {
    const outcome = await super.handleQueueMessage(raw, delivery);
    this.handledAt.push(performance.now());
    return outcome;
  }
}

let runCounter = 0;

/**
 * Runs the counter for `n` supersteps through the one-trigger path: each queue message loads
 * checkpoint k from the memory store, runs one superstep, saves k + 1 create-only and enqueues it.
 */
export async function runOurCounter(n: number, options: { measureHeap?: boolean } = {}): Promise<CounterRun> {
  const heapBefore = options.measureHeap ? heapUsedAfterGc() : undefined;
  const store = new MemoryCheckpointStore();
  const queue = new InMemoryStepQueue();
  const runtime = new TimedRuntime({ store, queue, workflows: new WorkflowRegistry([counterWorkflow]) });
  const runId = `counter-${n}-${++runCounter}`;

  const started = performance.now();
  await runtime.start({ workflow: counterWorkflow.name, input: n, runId });
  await drainQueue(runtime, queue);
  const totalMs = performance.now() - started;

  const heapAfter = options.measureHeap ? heapUsedAfterGc() : undefined;
  const latest = await store.latest(runId);
  checkFinished(latest, n);
  return {
    supersteps: runtime.handledAt.length,
    totalMs,
    stepMs: stepDurations(started, runtime.handledAt),
    latestCheckpointBytes: Buffer.byteLength(JSON.stringify(latest)),
    ...(heapAfter !== undefined ? { heapUsedBytes: heapAfter, heapRetainedBytes: heapAfter - heapBefore! } : {}),
  };
}

function checkFinished(latest: Checkpoint | undefined, n: number): asserts latest is Checkpoint {
  const count = latest?.state['count'];
  if (latest?.status !== 'Completed' || latest.step !== n || count !== n) {
    throw new Error(`our counter did not finish at ${n}: status ${latest?.status}, step ${latest?.step}, count ${JSON.stringify(count)}`);
  }
}

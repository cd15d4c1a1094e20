import type { StorageStepQueue } from '../../src/queue/storage-step-queue';
import type { WorkflowRuntime } from '../../src/runtime';
import { asRunProblem } from '../../src/runtime';
import { sleep } from './functions-host';
import type { RunSpec } from './run-mix';
import type { SaveLog } from './save-log';

const ATTEMPTS = 50;

/** Starts a run as a client would: a store fault is retried with the same run id. */
export async function startRun(runtime: WorkflowRuntime, spec: Pick<RunSpec, 'runId' | 'workflow' | 'input'>, errors: string[]): Promise<void> {
  let failedBefore = false;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await runtime.start({ workflow: spec.workflow, input: spec.input, runId: spec.runId });
      return;
    } catch (error) {
      const problem = asRunProblem(error);
      if (problem?.kind === 'unavailable') {
        failedBefore = true;
        await sleep(20);
        continue;
      }
      // An earlier attempt whose answer was lost had created the run.
      if (failedBefore && problem?.code === 'RunExists') return;
      errors.push(`starting '${spec.runId}': ${String(error)}`);
      return;
    }
  }
  errors.push(`starting '${spec.runId}': the store failed ${ATTEMPTS} times in a row`);
}

export interface Answerer {
  stop(): Promise<void>;
}

/**
 * Answers each approval run that expects an answer once it waits for one: through the runtime
 * (as the HTTP route does) or with a `{ runId, requestId, response }` queue message from outside.
 * It learns of waiting runs from the save log, and answers from a loop of its own, so no answer
 * runs inside the delivery (and its injected crash) that saved the waiting checkpoint.
 */
export function answerWhenWaiting(
  runtime: WorkflowRuntime,
  rawQueue: StorageStepQueue,
  saves: SaveLog,
  specs: readonly RunSpec[],
  deadline: number,
  errors: string[],
): Answerer {
  const ready: Array<{ spec: RunSpec; requestId: string }> = [];
  const toAnswer = specs.filter((spec) => spec.answer);
  for (const spec of toAnswer) {
    const unwatch = saves.watch(spec.runId, (checkpoint) => {
      const request = checkpoint.pendingRequests[0];
      if (checkpoint.status !== 'Waiting' || !request) return;
      unwatch();
      ready.push({ spec, requestId: request.requestId });
    });
  }
  let stopped = false;
  let answered = 0;
  const loop = (async () => {
    while (!stopped && answered < toAnswer.length && Date.now() < deadline) {
      const batch = ready.splice(0);
      await Promise.all(batch.map(({ spec, requestId }) => answerRun(runtime, rawQueue, spec, requestId, errors)));
      answered += batch.length;
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function answerRun(runtime: WorkflowRuntime, rawQueue: StorageStepQueue, spec: RunSpec, requestId: string, errors: string[]): Promise<void> {
  const { via, response } = spec.answer!;
  let failedBefore = false;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      if (via === 'queue') await rawQueue.send({ runId: spec.runId, requestId, response });
      else await runtime.answer(spec.runId, requestId, response);
      return;
    } catch (error) {
      const problem = asRunProblem(error);
      if (via === 'queue' || problem?.kind === 'unavailable') {
        failedBefore = true;
        await sleep(20);
        continue;
      }
      // The earlier attempt's write landed though its answer was lost: the request is answered.
      if (failedBefore && (problem?.kind === 'not-found' || problem?.kind === 'gone')) return;
      errors.push(`answering '${spec.runId}': ${String(error)}`);
      return;
    }
  }
  errors.push(`answering '${spec.runId}': failed ${ATTEMPTS} times in a row`);
}

export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

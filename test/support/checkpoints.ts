import type { CheckpointStore } from '../../src/checkpoints/store';
import { randomUUID } from 'node:crypto';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint } from '../../src/engine/checkpoint';

/** When every fixture run starts; step n is written n seconds later. */
export const FIXTURE_RUN_CREATED_AT = '2024-05-01T12:00:00.000Z';

/** A valid checkpoint of a running run, with a little of everything; `overrides` replace fields whole. */
export function makeCheckpoint(runId: string, step: number, overrides: Partial<Checkpoint> = {}): Checkpoint {
  const checkpoint: Checkpoint = {
    version: CHECKPOINT_FORMAT_VERSION,
    runId,
    step,
    workflow: 'fixture-workflow',
    workflowVersion: '1.0.0',
    graphHash: 'fixture-graph-hash',
    status: 'Running',
    transition: step === 0 ? 'start' : 'superstep',
    createdAt: createdAtOfStep(step),
    runCreatedAt: FIXTURE_RUN_CREATED_AT,
    parent: step === 0 ? null : step - 1,
    messages: [{ source: step === 0 ? null : 'worker', target: 'worker', kind: 'message', payload: { step } }],
    state: { counter: step },
    pendingRequests: [],
    timers: [],
    metrics: { durationMs: 1, bytes: 0 },
  };
  return { ...checkpoint, ...overrides };
}

/** Tolerates the nonsense steps that tests of argument checking pass. */
function createdAtOfStep(step: number): string {
  const offset = Number.isSafeInteger(step) && step >= 0 ? step * 1000 : 0;
  return new Date(Date.parse(FIXTURE_RUN_CREATED_AT) + Math.min(offset, 10 ** 14)).toISOString();
}

/** A run id no other test uses, so tests can share one store (or one Cosmos container). */
export function uniqueRunId(label = 'run'): string {
  return `${label}-${randomUUID()}`;
}

/** Saves `makeCheckpoint(runId, step, overrides)` for each step, in order; returns what was saved. */
export async function saveSteps(store: CheckpointStore, runId: string, steps: readonly number[], overrides: Partial<Checkpoint> = {}): Promise<Checkpoint[]> {
  const saved: Checkpoint[] = [];
  for (const step of steps) {
    const checkpoint = makeCheckpoint(runId, step, overrides);
    await store.save(checkpoint);
    saved.push(checkpoint);
  }
  return saved;
}

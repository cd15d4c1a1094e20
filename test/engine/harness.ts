import { expect } from 'vitest';
import type { Checkpoint, StepEnvironment, Workflow } from '../../src/engine';
import { decodeValue, runSuperstep, startRun } from '../../src/engine';
import { sequentialIds } from '../support/clock';

export const T0 = new Date('2025-01-01T00:00:00.000Z');

export function envAt(now: Date = T0, newId: () => string = sequentialIds()): StepEnvironment {
  return { now, newId };
}

export function start(workflow: Workflow, input: unknown, runId = 'run-1', now: Date = T0): Checkpoint {
  return startRun(workflow, { runId, input, now });
}

/** One superstep that must advance the run. */
export async function step(workflow: Workflow, checkpoint: Checkpoint, env: StepEnvironment = envAt()): Promise<Checkpoint> {
  const result = await runSuperstep(workflow, checkpoint, env);
  if (result.kind !== 'advanced') throw new Error(`superstep from ${checkpoint.step} did not advance: ${JSON.stringify(result)}`);
  return result.checkpoint;
}

/** Supersteps until the run stops running; every checkpoint, step 0 included. Timers must be due at `env.now`. */
export async function runAll(workflow: Workflow, first: Checkpoint, env: StepEnvironment = envAt(), maxSteps = 200): Promise<Checkpoint[]> {
  const checkpoints = [first];
  for (let i = 0; i < maxSteps; i++) {
    const result = await runSuperstep(workflow, checkpoints.at(-1)!, env);
    if (result.kind !== 'advanced') return checkpoints;
    checkpoints.push(result.checkpoint);
  }
  throw new Error(`run did not stop within ${maxSteps} supersteps`);
}

export function decoded(json: Checkpoint['output']): unknown {
  expect(json).toBeDefined();
  return decodeValue(json!);
}

/** The decoded payloads of the messages queued for `target`, in queue order. */
export function queuedFor(checkpoint: Checkpoint, target: string): unknown[] {
  return checkpoint.messages.filter((m) => m.target === target).map((m) => decodeValue(m.payload));
}

export function stateOf(checkpoint: Checkpoint): Record<string, unknown> {
  return Object.fromEntries(Object.entries(checkpoint.state).map(([key, value]) => [key, decodeValue(value)]));
}

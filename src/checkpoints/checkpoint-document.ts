import { CHECKPOINT_FORMAT_VERSION, RUN_STATUSES, summarize, type Checkpoint } from '../engine/checkpoint';
import type { RunSummary } from './store';
import { CorruptCheckpointError, InvalidCheckpointArgumentError } from './errors';
import { assertRunId, assertStep } from './ids';

/**
 * What is wrong with a value that should be a checkpoint, or `undefined` when it looks like one.
 * Checks the fields every reader relies on, not every nested value.
 */
export function checkpointShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const doc = value as Record<string, unknown>;
  if (doc.version !== CHECKPOINT_FORMAT_VERSION) {
    return `unknown format version ${JSON.stringify(doc.version)} (this build reads version ${CHECKPOINT_FORMAT_VERSION})`;
  }
  for (const field of ['runId', 'workflow', 'workflowVersion', 'createdAt', 'runCreatedAt', 'transition'] as const) {
    if (typeof doc[field] !== 'string') return `field '${field}' is not a string`;
  }
  if (typeof doc.step !== 'number' || !Number.isSafeInteger(doc.step) || doc.step < 0) return `field 'step' is not a step number`;
  if (!(RUN_STATUSES as readonly unknown[]).includes(doc.status)) return `field 'status' is not a run status`;
  for (const field of ['messages', 'pendingRequests', 'timers'] as const) {
    if (!Array.isArray(doc[field])) return `field '${field}' is not an array`;
  }
  for (const field of ['state', 'fanIn', 'metrics'] as const) {
    const member = doc[field];
    if (field === 'fanIn' && member === undefined) continue;
    if (typeof member !== 'object' || member === null || Array.isArray(member)) return `field '${field}' is not an object`;
  }
  return undefined;
}

/** Checks a checkpoint handed to `save`, before any I/O, so a store never writes what it could not read back. */
export function assertCheckpointToSave(checkpoint: unknown): asserts checkpoint is Checkpoint {
  if (typeof checkpoint !== 'object' || checkpoint === null) {
    throw new InvalidCheckpointArgumentError('invalid checkpoint: pass a checkpoint object');
  }
  const { runId, step } = checkpoint as { runId?: unknown; step?: unknown };
  assertRunId(runId);
  assertStep(step);
  const problem = checkpointShapeProblem(checkpoint);
  if (problem) throw new InvalidCheckpointArgumentError(`invalid checkpoint ${step} of run '${runId}': ${problem}`);
}

/** Parses a stored document that should be checkpoint `step` of `runId`; anything else is corrupt. */
export function parseStoredCheckpoint(text: string, location: string, runId: string, step: number): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorruptCheckpointError(location, `not valid JSON (${(error as Error).message})`);
  }
  const problem = checkpointShapeProblem(value);
  if (problem) throw new CorruptCheckpointError(location, problem);
  const checkpoint = value as Checkpoint;
  if (checkpoint.runId !== runId || checkpoint.step !== step) {
    throw new CorruptCheckpointError(
      location,
      `it holds checkpoint ${checkpoint.step} of run '${checkpoint.runId}', not checkpoint ${step} of run '${runId}'`,
    );
  }
  return checkpoint;
}

/** A run as its latest checkpoint describes it. */
export function runSummaryOf(latest: Checkpoint): RunSummary {
  const { runId, workflow, status, step } = summarize(latest);
  return { runId, workflow, status, step, createdAt: latest.runCreatedAt, updatedAt: latest.createdAt };
}

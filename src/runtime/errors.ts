import {
  CheckpointConflictError,
  CheckpointNotFoundError,
  CheckpointTooLargeError,
  InvalidCheckpointArgumentError,
  TransientStoreError,
} from '../checkpoints/errors';
import { GraphMismatchError, InvalidInputError, RunFinishedError, UnknownRequestError } from '../engine/errors';

/** What went wrong for the caller, whatever the transport: each kind maps to one HTTP status. */
export type ProblemKind = 'invalid' | 'not-found' | 'conflict' | 'gone' | 'too-large' | 'unavailable';

export class RunProblem extends Error {
  override name = 'RunProblem';
  constructor(
    readonly kind: ProblemKind,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Turns the errors callers can cause (or wait out) into `RunProblem`s; anything else is ours and rethrown. */
export function asRunProblem(error: unknown): RunProblem | undefined {
  if (error instanceof RunProblem) return error;
  if (error instanceof InvalidInputError) return new RunProblem('invalid', error.code, error.message);
  if (error instanceof InvalidCheckpointArgumentError) return new RunProblem('invalid', 'InvalidArgument', error.message);
  if (error instanceof UnknownRequestError) return new RunProblem('not-found', error.code, error.message);
  if (error instanceof RunFinishedError) return new RunProblem('gone', error.code, error.message);
  // The run belongs to another version of the graph than this app serves: it cannot be changed here.
  if (error instanceof GraphMismatchError) return new RunProblem('conflict', error.code, error.message);
  if (error instanceof CheckpointNotFoundError) return new RunProblem('not-found', 'CheckpointNotFound', error.message);
  if (error instanceof CheckpointConflictError) return new RunProblem('conflict', 'Conflict', error.message);
  if (error instanceof CheckpointTooLargeError) return new RunProblem('too-large', 'CheckpointTooLarge', error.message);
  if (error instanceof TransientStoreError) {
    const seconds = error.retryAfterMs === undefined ? 5 : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return new RunProblem('unavailable', 'StoreUnavailable', 'the checkpoint store is busy or unreachable; try again shortly', seconds);
  }
  return undefined;
}

export function runNotFound(runId: string): RunProblem {
  return new RunProblem('not-found', 'RunNotFound', `run '${runId}' does not exist`);
}

/** Base of the errors the engine throws on purpose; `code` is stable and safe to show callers. */
export class WorkflowError extends Error {
  override name = 'WorkflowError';
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The run's input, or an answer to a request, is not what the workflow accepts. */
export class InvalidInputError extends WorkflowError {
  override name = 'InvalidInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidInput', message, options);
  }
}

/** A checkpoint written by a different graph than the workflow registered now. */
export class GraphMismatchError extends WorkflowError {
  override name = 'GraphMismatchError';
  constructor(message: string) {
    super('GraphMismatch', message);
  }
}

/** Answering a request the run does not have pending (unknown, or already answered). */
export class UnknownRequestError extends WorkflowError {
  override name = 'UnknownRequestError';
  constructor(readonly runId: string, readonly requestId: string) {
    super('UnknownRequest', `run '${runId}' has no pending request '${requestId}' (unknown or already answered)`);
  }
}

/** Changing a run that already completed, failed or was cancelled. */
export class RunFinishedError extends WorkflowError {
  override name = 'RunFinishedError';
  constructor(readonly runId: string, readonly status: string) {
    super('RunFinished', `run '${runId}' is already ${status}`);
  }
}

/** A mistake in how a workflow is built: caught by `build()`, before any run starts. */
export class WorkflowDefinitionError extends WorkflowError {
  override name = 'WorkflowDefinitionError';
  constructor(message: string) {
    super('InvalidWorkflow', message);
  }
}

/** Throw from an executor to fail the run at once, without retries. */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}

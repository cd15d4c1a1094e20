/** Base of every error a checkpoint store throws on purpose. */
export class CheckpointStoreError extends Error {
  override name = 'CheckpointStoreError';
  /** True when the same call may succeed if tried again later (throttling, timeouts, 5xx). */
  readonly retryable: boolean = false;
}

/** `save` of a step that already exists: another writer made that transition first. */
export class CheckpointConflictError extends CheckpointStoreError {
  override name = 'CheckpointConflictError';
  constructor(readonly runId: string, readonly step: number) {
    super(`checkpoint ${step} of run '${runId}' already exists`);
  }
}

export class CheckpointNotFoundError extends CheckpointStoreError {
  override name = 'CheckpointNotFoundError';
  constructor(readonly runId: string, readonly step: number) {
    super(`checkpoint ${step} of run '${runId}' does not exist`);
  }
}

/** A run id, step or query argument that no store accepts; thrown before any I/O. */
export class InvalidCheckpointArgumentError extends CheckpointStoreError {
  override name = 'InvalidCheckpointArgumentError';
}

/** A stored document that cannot be read back (bad JSON, wrong shape, unknown format version). */
export class CorruptCheckpointError extends CheckpointStoreError {
  override name = 'CorruptCheckpointError';
  constructor(readonly location: string, reason: string) {
    super(`checkpoint at ${location} is unreadable: ${reason}`);
  }
}

/** A checkpoint larger than the store can hold; thrown before the request. */
export class CheckpointTooLargeError extends CheckpointStoreError {
  override name = 'CheckpointTooLargeError';
  constructor(readonly runId: string, readonly step: number, readonly bytes: number, readonly limit: number) {
    super(`checkpoint ${step} of run '${runId}' is ${bytes} bytes, over the store's limit of ${limit} bytes`);
  }
}

/** The store failed for a passing reason (throttled, timed out, unavailable); try again later. */
export class TransientStoreError extends CheckpointStoreError {
  override name = 'TransientStoreError';
  override readonly retryable = true;
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

import type { Checkpoint, CheckpointSummary, RunStatus } from '../engine/checkpoint';

export interface Page<T> {
  items: T[];
  /** Opaque token for the next page; absent on the last page. */
  continuation?: string;
}

export interface PageOptions {
  /** Items per page, 1-1000; stores default to 100. */
  limit?: number;
  continuation?: string;
}

/** One run, as its latest checkpoint describes it. */
export interface RunSummary {
  runId: string;
  workflow: string;
  status: RunStatus;
  /** Step of the latest checkpoint. */
  step: number;
  createdAt: string;
  updatedAt: string;
}

export interface RunQuery extends PageOptions {
  workflow?: string;
  /** One status, or any of several (the sweeper asks for every status a run can be advanced from). */
  status?: RunStatus | readonly RunStatus[];
  /** Only runs whose latest checkpoint was written before this ISO time. */
  updatedBefore?: string;
}

export interface SaveResult {
  /** Size of the stored document in UTF-8 bytes. */
  bytes: number;
  /** Request units the save cost, where the store reports them. */
  requestCharge?: number;
}

export interface LoadOptions {
  /** Receives the request units the read cost, where the store reports them. */
  onCharge?: (requestCharge: number) => void;
}

/**
 * Where checkpoints live. Every transition of a run is one `save` of step n + 1, and `save` is
 * create-only: that is what makes each transition happen exactly once among racing writers.
 */
export interface CheckpointStore {
  /** Creates the checkpoint; throws `CheckpointConflictError` when that step of the run exists. */
  save(checkpoint: Checkpoint): Promise<SaveResult>;
  /** Throws `CheckpointNotFoundError` naming run and step when it does not exist. */
  load(runId: string, step: number, options?: LoadOptions): Promise<Checkpoint>;
  /** The highest step of the run, or `undefined` for an unknown run. */
  latest(runId: string): Promise<Checkpoint | undefined>;
  /** The run's checkpoints, newest first. */
  list(runId: string, options?: PageOptions): Promise<Page<CheckpointSummary>>;
  /** Every step the run has, ascending. */
  listIds(runId: string): Promise<number[]>;
  /** Removes one checkpoint; false when it did not exist. */
  delete(runId: string, step: number): Promise<boolean>;
  /** Removes every checkpoint of the run; returns how many were removed. */
  deleteRun(runId: string): Promise<number>;
  /** Runs by their latest checkpoint, most recently updated first. */
  listRuns(query?: RunQuery): Promise<Page<RunSummary>>;
  /** Releases what the store opened itself; a no-op for resources handed in. */
  close(): Promise<void>;
}

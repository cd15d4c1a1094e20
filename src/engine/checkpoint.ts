import type { Json } from './json';

/** The format version written into every checkpoint; readers refuse versions they do not know. */
export const CHECKPOINT_FORMAT_VERSION = 1;

export const RUN_STATUSES = ['Pending', 'Running', 'Waiting', 'Completed', 'Failed', 'Cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['Completed', 'Failed', 'Cancelled']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** A message queued for delivery in the next superstep. `payload` is codec-encoded. */
export interface QueuedMessage {
  /** Executor that sent it; `null` for the run's input and for answers to requests. */
  source: string | null;
  target: string;
  kind: 'message' | 'response' | 'timer';
  payload: Json;
  /** For `response`: the request being answered. For `timer`: the timer's id. */
  ref?: string;
  /** 0 on first delivery; raised each time the executor failed on it and it is retried. */
  attempt?: number;
  /** ISO time before which the message is not delivered (retry back-off). */
  notBefore?: string;
  /** For `response`: the codec-encoded request that was answered. */
  request?: Json;
}

export interface PendingRequest {
  requestId: string;
  executor: string;
  /** Codec-encoded request payload, as the executor passed it. */
  request: Json;
  createdAt: string;
}

export interface PendingTimer {
  timerId: string;
  executor: string;
  /** ISO time at which the timer is delivered to `executor`. */
  wakeAt: string;
  payload: Json;
}

export interface RunError {
  message: string;
  name?: string;
  executor?: string;
  /** Codec-encoded message the executor failed on. */
  input?: Json;
  attempts?: number;
  code?: string;
}

export interface CheckpointMetrics {
  /** Wall time spent computing this checkpoint (superstep or transition). */
  durationMs: number;
  /** Size of the checkpoint document as JSON, in UTF-8 bytes. */
  bytes: number;
  /**
   * Request units spent producing this checkpoint, where the store reports them: the read of its
   * parent, plus the parent's save when the parent's message carried that charge.
   */
  requestCharge?: number;
  /** Request units the run has spent so far, this checkpoint's own save excepted. */
  runRequestCharge?: number;
}

export interface CheckpointParent {
  runId: string;
  step: number;
}

/** Why a checkpoint exists: what transition produced it from its parent. */
export type TransitionKind = 'start' | 'superstep' | 'response' | 'cancel' | 'fork' | 'fail';

/**
 * One document per superstep: everything a run needs to continue on any instance.
 * Plain JSON by construction; values inside go through the codec.
 */
export interface Checkpoint {
  version: typeof CHECKPOINT_FORMAT_VERSION;
  runId: string;
  step: number;
  workflow: string;
  workflowVersion: string;
  graphHash: string;
  status: RunStatus;
  transition: TransitionKind;
  createdAt: string;
  /** When the run started (step 0's createdAt; the fork's for a forked run). */
  runCreatedAt: string;
  /**
   * Where this checkpoint came from: the previous step of the same run (a number), the source
   * `{ runId, step }` of a fork, or null for a run's first checkpoint.
   */
  parent: number | CheckpointParent | null;
  messages: QueuedMessage[];
  /** Committed shared state: each key's value codec-encoded on its own, so a step decodes only what it reads. */
  state: Record<string, Json>;
  /** Fan-in barrier buffers: edge id → source executor → codec-encoded payloads waiting; absent when empty. */
  fanIn?: Record<string, Record<string, Json[]>>;
  pendingRequests: PendingRequest[];
  timers: PendingTimer[];
  /** Codec-encoded last value the run yielded through `ctx.output`, if any. */
  output?: Json;
  error?: RunError;
  /** Earliest time the next superstep may run (timers, retry back-off); absent when it may run now. */
  wakeAt?: string;
  /** Highest retry attempt among the queued messages; absent when none is a retry. */
  attempt?: number;
  metrics: CheckpointMetrics;
}

/** The fields of a checkpoint that listings show. */
export interface CheckpointSummary {
  runId: string;
  step: number;
  status: RunStatus;
  transition: TransitionKind;
  createdAt: string;
  workflow: string;
  metrics: CheckpointMetrics;
}

export function summarize(checkpoint: Checkpoint): CheckpointSummary {
  const { runId, step, status, transition, createdAt, workflow, metrics } = checkpoint;
  return { runId, step, status, transition, createdAt, workflow, metrics };
}

/** The step before this one in the same run, or undefined for a run's first checkpoint. */
export function parentStep(checkpoint: Pick<Checkpoint, 'parent'>): number | undefined {
  return typeof checkpoint.parent === 'number' ? checkpoint.parent : undefined;
}

/** The checkpoint a forked run started from, or undefined. */
export function forkSource(checkpoint: Pick<Checkpoint, 'parent'>): CheckpointParent | undefined {
  return typeof checkpoint.parent === 'object' && checkpoint.parent !== null ? checkpoint.parent : undefined;
}

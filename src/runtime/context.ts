import type { CheckpointStore } from '../checkpoints/store';
import type { Workflow } from '../engine';
import type { Logger } from './logger';
import type { StepQueue } from './step-queue';

/** Finds a registered workflow by name; the app's registry implements it. */
export interface WorkflowLookup {
  get(name: string): Workflow | undefined;
  list(): Workflow[];
}

export interface RuntimeOptions {
  store: CheckpointStore;
  queue: StepQueue;
  workflows: WorkflowLookup;
  clock?: () => Date;
  newId?: () => string;
  logger?: Logger;
  /**
   * How old checkpoint n + 1 must be before a redelivered message for n re-sends its follow-up.
   * Younger, its writer is most likely still sending it; older, that send was lost.
   */
  followUpGraceMs?: number;
  /** How many times a command (answer, cancel) retries when a superstep wins the race for a step. */
  commandAttempts?: number;
}

/** Everything a runtime operation needs, resolved once. */
export interface RuntimeContext {
  store: CheckpointStore;
  queue: StepQueue;
  workflows: WorkflowLookup;
  clock: () => Date;
  newId: () => string;
  logger: Logger;
  followUpGraceMs: number;
  commandAttempts: number;
}

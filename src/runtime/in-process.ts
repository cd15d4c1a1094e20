import type { Checkpoint } from '../engine';
import { InMemoryStepQueue } from './memory-queue';
import type { QueueOutcome, WorkflowRuntime } from './runtime';

export interface DrainOptions {
  /** Stops after this many messages, so a workflow that never ends cannot hang the caller. */
  maxMessages?: number;
  /**
   * Called when only delayed messages remain (timers, retry back-off), with the time the next
   * one becomes visible. Return false to stop; a test clock may jump to `at` and return true.
   */
  onIdleUntil?: (at: number) => boolean | Promise<boolean>;
}

/**
 * Runs the one-trigger algorithm in this process: takes messages from an in-memory step queue and
 * handles each exactly as the queue trigger would, until none is left (or only delayed ones).
 */
export async function drainQueue(runtime: WorkflowRuntime, queue: InMemoryStepQueue, options: DrainOptions = {}): Promise<QueueOutcome[]> {
  const outcomes: QueueOutcome[] = [];
  const maxMessages = options.maxMessages ?? 1_000_000;
  while (outcomes.length < maxMessages) {
    const item = queue.receive();
    if (!item) {
      const at = queue.nextVisibleAt();
      if (at === undefined || !options.onIdleUntil || !(await options.onIdleUntil(at))) break;
      continue;
    }
    outcomes.push(await runtime.handleQueueMessage(item.message, { dequeueCount: item.dequeueCount }));
  }
  return outcomes;
}

/** Starts nothing: advances `runId` through the store alone until it stops running. For tests and scripts. */
export async function runToEnd(runtime: WorkflowRuntime, runId: string, maxSteps = 100_000): Promise<Checkpoint> {
  for (let i = 0; i < maxSteps; i++) {
    const outcome = await runtime.advance(runId);
    if (outcome.action !== 'advanced') break;
  }
  const latest = await runtime.context.store.latest(runId);
  if (!latest) throw new Error(`run '${runId}' has no checkpoints`);
  return latest;
}

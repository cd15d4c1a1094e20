/** What a step-queue message carries: a pointer to a checkpoint, never the state itself. */
export type StepMessage =
  /**
   * Run superstep `step` → `step + 1`. `charge`: request units the save of `step` cost, which
   * only its writer knows; the next superstep adds it to the run's total.
   */
  | { runId: string; step: number; charge?: number }
  /** Resume from the latest checkpoint (for systems outside this app). */
  | { runId: string }
  /** Answer a pending request, exactly as the HTTP route does. */
  | { runId: string; requestId: string; response: unknown };

export interface SendOptions {
  /** Seconds before the message becomes visible; the queue caps it at `MAX_VISIBILITY_DELAY_SECONDS`. */
  delaySeconds?: number;
}

/** Storage queues hide a message for at most 7 days; longer waits are chained through re-sends. */
export const MAX_VISIBILITY_DELAY_SECONDS = 7 * 24 * 60 * 60 - 60;

export interface StepQueue {
  send(message: StepMessage, options?: SendOptions): Promise<void>;
}

/** Seconds from `now` until `wakeAt`, within what one queue message can be delayed. */
export function delayUntil(wakeAt: string | undefined, now: Date): number {
  if (!wakeAt) return 0;
  const seconds = Math.ceil((Date.parse(wakeAt) - now.getTime()) / 1000);
  return Math.min(MAX_VISIBILITY_DELAY_SECONDS, Math.max(0, seconds));
}

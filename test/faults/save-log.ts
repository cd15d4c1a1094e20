import type { Checkpoint } from '../../src/engine';
import { isTerminal } from '../../src/engine';

/**
 * Every checkpoint the store really created, as it happened. It tells the driver when a run is
 * waiting for an answer or has finished without polling the store, and catches a transition made
 * twice (two creates of one step), which a store with a broken create-only save would allow.
 */
export class SaveLog {
  private readonly createsByStep = new Map<string, number>();
  readonly finished = new Map<string, Checkpoint>();
  private readonly waiters = new Map<string, Array<(checkpoint: Checkpoint) => void>>();

  record(checkpoint: Checkpoint): void {
    const key = `${checkpoint.runId}#${checkpoint.step}`;
    this.createsByStep.set(key, (this.createsByStep.get(key) ?? 0) + 1);
    if (isTerminal(checkpoint.status)) this.finished.set(checkpoint.runId, checkpoint);
    const waiting = this.waiters.get(checkpoint.runId);
    if (waiting) for (const notify of waiting) notify(checkpoint);
  }

  /** Runs with a step created more than once. */
  doubleCreates(): Set<string> {
    const runs = new Set<string>();
    for (const [key, creates] of this.createsByStep) if (creates > 1) runs.add(key.slice(0, key.lastIndexOf('#')));
    return runs;
  }

  /** Calls `notify` with each checkpoint created for `runId` from now on. */
  watch(runId: string, notify: (checkpoint: Checkpoint) => void): () => void {
    const list = this.waiters.get(runId) ?? [];
    list.push(notify);
    this.waiters.set(runId, list);
    return () => {
      const remaining = (this.waiters.get(runId) ?? []).filter((n) => n !== notify);
      if (remaining.length) this.waiters.set(runId, remaining);
      else this.waiters.delete(runId);
    };
  }
}

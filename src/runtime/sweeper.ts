import type { RunStatus } from '../engine';
import { canAdvance } from '../engine';
import { sendFollowUp } from './advance';
import type { RuntimeContext } from './context';

export interface SweepOptions {
  /** A run counts as stalled when nothing was written for this long after it was due. */
  stalledAfterMs: number;
  /** At most this many runs are looked at in one sweep, so a timer invocation stays short. */
  maxRuns?: number;
}

export interface SweepResult {
  checked: number;
  resent: number;
}

/** Every status a run can be advanced from, listed in one query. */
const ADVANCEABLE: RunStatus[] = ['Pending', 'Running', 'Waiting'];

/**
 * Finds runs that nothing advances (their message was lost) and re-sends it. A re-send is safe:
 * the create-only save turns a needless one into a no-op.
 */
export async function sweepStalledRuns(ctx: RuntimeContext, options: SweepOptions): Promise<SweepResult> {
  const now = ctx.clock().getTime();
  const updatedBefore = new Date(now - options.stalledAfterMs).toISOString();
  const maxRuns = options.maxRuns ?? 1_000;
  const result: SweepResult = { checked: 0, resent: 0 };
  let continuation: string | undefined;
  do {
    const page = await ctx.store.listRuns({ status: ADVANCEABLE, updatedBefore, limit: Math.min(100, maxRuns), ...(continuation ? { continuation } : {}) });
    for (const run of page.items) {
      if (result.checked >= maxRuns) return result;
      result.checked++;
      const latest = await ctx.store.latest(run.runId);
      if (!latest || !canAdvance(latest)) continue;
      const dueAt = latest.wakeAt ? Date.parse(latest.wakeAt) : Date.parse(latest.createdAt);
      if (now - dueAt < options.stalledAfterMs) continue;
      await sendFollowUp(ctx, latest);
      result.resent++;
      ctx.logger.warn('re-sent the message of a stalled run', { runId: latest.runId, step: latest.step, status: latest.status });
    }
    continuation = page.continuation;
  } while (continuation);
  return result;
}

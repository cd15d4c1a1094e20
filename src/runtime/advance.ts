import { CheckpointConflictError, CheckpointNotFoundError, CheckpointTooLargeError } from '../checkpoints/errors';
import type { Checkpoint } from '../engine';
import { canAdvance, failRun, runSuperstep } from '../engine';
import type { RuntimeContext } from './context';
import { delayUntil } from './step-queue';
import { requireWorkflow } from './workflows';

export type AdvanceOutcome =
  /** This delivery made the transition n → n + 1. */
  | { action: 'advanced'; step: number }
  /** n + 1 already existed: another delivery did the work. */
  | { action: 'duplicate'; step: number; resent: boolean }
  /** Nothing is due before `wakeAt`; a delayed message was sent. */
  | { action: 'deferred'; step: number; wakeAt: string }
  /** Finished, waiting for an answer, or an unknown run: nothing to do. */
  | { action: 'idle'; step?: number; reason: string };

export interface Delivery {
  /** How many times the queue has handed out this message, this time included. */
  dequeueCount?: number;
  /** Request units the save of the checkpoint being advanced cost, carried by its message. */
  charge?: number;
}

/**
 * The one-trigger algorithm: one superstep of one run, made exactly once by a create-only save.
 * The save itself detects an earlier delivery, so the usual path costs one point read and one
 * create; a redelivered or delayed message first checks whether n + 1 exists, sparing executors
 * a rerun where a duplicate is likely.
 */
export async function advanceRun(ctx: RuntimeContext, runId: string, step: number | undefined, delivery: Delivery = {}): Promise<AdvanceOutcome> {
  const started = performance.now();
  let readCharge = 0;
  const onCharge = (charge: number) => void (readCharge += charge);
  const checkpoint = step === undefined ? await ctx.store.latest(runId) : await loadIfExists(ctx, runId, step, onCharge);
  if (!checkpoint) return { action: 'idle', reason: step === undefined ? 'unknown run' : `no checkpoint ${step}`, ...(step === undefined ? {} : { step }) };
  const n = checkpoint.step;
  if (!canAdvance(checkpoint)) return { action: 'idle', step: n, reason: `run is ${checkpoint.status}` };

  const likelyDuplicate = (delivery.dequeueCount ?? 1) > 1 || checkpoint.wakeAt !== undefined || checkpoint.status === 'Waiting';
  if (likelyDuplicate) {
    const successor = await loadIfExists(ctx, runId, n + 1);
    if (successor) return { action: 'duplicate', step: n, resent: await ensureFollowUp(ctx, successor) };
  }

  const workflow = requireWorkflow(ctx, checkpoint.workflow);
  const now = ctx.clock();
  const result = await runSuperstep(workflow, checkpoint, { now, newId: ctx.newId });
  if (result.kind === 'idle') return { action: 'idle', step: n, reason: `run is ${result.status}` };
  if (result.kind === 'not-due') {
    await ctx.queue.send({ runId, step: n }, { delaySeconds: delayUntil(result.wakeAt, now) });
    return { action: 'deferred', step: n, wakeAt: result.wakeAt };
  }

  const next = withMetrics(result.checkpoint, performance.now() - started, readCharge + (delivery.charge ?? 0), checkpoint);
  let saved;
  try {
    saved = await ctx.store.save(next);
  } catch (error) {
    if (error instanceof CheckpointTooLargeError) {
      await failOversizedStep(ctx, checkpoint, error);
      return { action: 'advanced', step: n };
    }
    if (!(error instanceof CheckpointConflictError)) throw error;
    const successor = await ctx.store.load(runId, n + 1);
    return { action: 'duplicate', step: n, resent: await ensureFollowUp(ctx, successor) };
  }
  ctx.logger.info('superstep', {
    runId,
    step: next.step,
    workflow: next.workflow,
    status: next.status,
    durationMs: next.metrics.durationMs,
    bytes: saved.bytes,
    readCharge: readCharge || undefined,
    saveCharge: saved.requestCharge,
  });
  if (next.status === 'Failed') ctx.logger.warn('run failed', { runId, step: next.step, executor: next.error?.executor, error: next.error?.message });
  await sendFollowUp(ctx, next, saved.requestCharge);
  return { action: 'advanced', step: n };
}

/** Sends the message that advances `checkpoint`, delayed to its wake-up time; nothing when it cannot advance. */
export async function sendFollowUp(ctx: RuntimeContext, checkpoint: Checkpoint, saveCharge?: number): Promise<void> {
  if (!canAdvance(checkpoint)) return;
  const { runId, step } = checkpoint;
  const message = saveCharge ? { runId, step, charge: saveCharge } : { runId, step };
  await ctx.queue.send(message, { delaySeconds: delayUntil(checkpoint.wakeAt, ctx.clock()) });
}

/**
 * Step n + 1 exists, so an earlier delivery made it. If that writer died before sending the
 * follow-up, the run would stall: re-send it when n + 1 is still the latest and old enough that
 * its own send is overdue. Young, the writer is most likely sending it now; a second message
 * would only cost a wasted trigger.
 */
async function ensureFollowUp(ctx: RuntimeContext, successor: Checkpoint): Promise<boolean> {
  if (!canAdvance(successor)) return false;
  const age = ctx.clock().getTime() - Date.parse(successor.createdAt);
  if (age < ctx.followUpGraceMs) return false;
  if (await loadIfExists(ctx, successor.runId, successor.step + 1)) return false;
  await sendFollowUp(ctx, successor);
  ctx.logger.warn('re-sent a lost follow-up message', { runId: successor.runId, step: successor.step });
  return true;
}

/** A superstep whose checkpoint the store cannot hold ends the run, recorded on a checkpoint that fits. */
async function failOversizedStep(ctx: RuntimeContext, checkpoint: Checkpoint, error: CheckpointTooLargeError): Promise<void> {
  const failed = failRun(checkpoint, { now: ctx.clock(), error: { code: 'CheckpointTooLarge', message: error.message } });
  try {
    await ctx.store.save(failed);
    ctx.logger.error('run failed: checkpoint too large', { runId: checkpoint.runId, step: failed.step, bytes: error.bytes });
  } catch (conflict) {
    if (!(conflict instanceof CheckpointConflictError)) throw conflict;
  }
}

async function loadIfExists(ctx: RuntimeContext, runId: string, step: number, onCharge?: (charge: number) => void): Promise<Checkpoint | undefined> {
  try {
    return await ctx.store.load(runId, step, onCharge ? { onCharge } : undefined);
  } catch (error) {
    if (error instanceof CheckpointNotFoundError) return undefined;
    throw error;
  }
}

/** `charge`: what producing `next` cost (the read of its parent, and the parent's save when known). */
function withMetrics(next: Checkpoint, durationMs: number, charge: number, parent: Checkpoint): Checkpoint {
  const runRequestCharge = (parent.metrics.runRequestCharge ?? 0) + charge;
  const metrics = {
    durationMs: Math.round(durationMs * 100) / 100,
    bytes: 0,
    ...(charge ? { requestCharge: charge } : {}),
    ...(runRequestCharge ? { runRequestCharge } : {}),
  };
  const withoutSize = { ...next, metrics };
  metrics.bytes = Buffer.byteLength(JSON.stringify(withoutSize));
  return withoutSize;
}

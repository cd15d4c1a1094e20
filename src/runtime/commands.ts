import { randomUUID } from 'node:crypto';
import { CheckpointConflictError, CheckpointNotFoundError } from '../checkpoints/errors';
import { assertRunId, assertStep } from '../checkpoints/ids';
import type { SaveResult } from '../checkpoints/store';
import type { Checkpoint, RunError } from '../engine';
import { answerRequest, cancelRun, failRun, forkRun, isTerminal, startRun } from '../engine';
import { sendFollowUp } from './advance';
import type { RuntimeContext } from './context';
import { asRunProblem, RunProblem, runNotFound } from './errors';
import { requireWorkflow } from './workflows';

export interface StartArgs {
  workflow: string;
  input: unknown;
  runId?: string;
}

/** Creates checkpoint 0 (create-only: a used run id is a conflict) and queues its first superstep. */
export async function startNewRun(ctx: RuntimeContext, args: StartArgs): Promise<Checkpoint> {
  const workflow = requireWorkflow(ctx, args.workflow);
  const runId = args.runId ?? randomUUID();
  guard(() => assertRunId(runId));
  const first = guard(() => startRun(workflow, { runId, input: args.input, now: ctx.clock() }));
  const saved = await saveNew(ctx, first);
  ctx.logger.info('run started', { runId, workflow: workflow.name });
  await followUpOrLog(ctx, first, saved.requestCharge);
  return first;
}

export async function forkFrom(ctx: RuntimeContext, args: { runId: string; step: number; newRunId?: string }): Promise<Checkpoint> {
  const source = await loadOrProblem(ctx, args.runId, args.step);
  const workflow = requireWorkflow(ctx, source.workflow);
  const runId = args.newRunId ?? randomUUID();
  guard(() => assertRunId(runId));
  const first = guard(() => forkRun(workflow, source, { runId, now: ctx.clock() }));
  const saved = await saveNew(ctx, first);
  ctx.logger.info('run forked', { runId, from: args.runId, step: args.step });
  await followUpOrLog(ctx, first, saved.requestCharge);
  return first;
}

export async function answer(ctx: RuntimeContext, args: { runId: string; requestId: string; response: unknown }): Promise<Checkpoint> {
  return transition(ctx, args.runId, (latest) => {
    const workflow = requireWorkflow(ctx, latest.workflow);
    return answerRequest(workflow, latest, { requestId: args.requestId, response: args.response, now: ctx.clock() });
  });
}

export async function cancel(ctx: RuntimeContext, args: { runId: string; reason?: string }): Promise<Checkpoint> {
  return transition(ctx, args.runId, (latest) => cancelRun(latest, { now: ctx.clock(), ...(args.reason ? { reason: args.reason } : {}) }));
}

/**
 * Records the run as Failed for a reason outside its executors (a poisoned message). With
 * `atStep`, only while that step is still the latest: a message for a step the run has since
 * left behind says nothing about the run now. False when nothing was recorded.
 */
export async function recordFailure(ctx: RuntimeContext, runId: string, error: RunError, atStep?: number): Promise<boolean> {
  try {
    await transition(ctx, runId, (latest) => {
      if (atStep !== undefined && latest.step > atStep) throw new StaleStepError();
      return failRun(latest, { now: ctx.clock(), error });
    });
    return true;
  } catch (problem) {
    if (problem instanceof StaleStepError) return false;
    if (problem instanceof RunProblem && problem.kind === 'gone') return false;
    throw problem;
  }
}

class StaleStepError extends Error {}

export async function purge(ctx: RuntimeContext, runId: string): Promise<number> {
  guard(() => assertRunId(runId));
  const removed = await ctx.store.deleteRun(runId);
  if (removed === 0) throw runNotFound(runId);
  ctx.logger.info('run purged', { runId, checkpoints: removed });
  return removed;
}

export async function loadOrProblem(ctx: RuntimeContext, runId: string, step: number): Promise<Checkpoint> {
  guard(() => {
    assertRunId(runId);
    assertStep(step);
  });
  try {
    return await ctx.store.load(runId, step);
  } catch (error) {
    if (error instanceof CheckpointNotFoundError) {
      const latest = await ctx.store.latest(runId);
      throw latest ? new RunProblem('not-found', 'CheckpointNotFound', error.message) : runNotFound(runId);
    }
    throw error;
  }
}

/**
 * A command is one more create-only transition on the latest checkpoint. When a superstep takes
 * that step first, the command is applied again to the new latest: nothing forks the run.
 */
async function transition(ctx: RuntimeContext, runId: string, apply: (latest: Checkpoint) => Checkpoint): Promise<Checkpoint> {
  guard(() => assertRunId(runId));
  for (let attempt = 1; ; attempt++) {
    const latest = await ctx.store.latest(runId);
    if (!latest) throw runNotFound(runId);
    if (isTerminal(latest.status)) throw new RunProblem('gone', 'RunFinished', `run '${runId}' is already ${latest.status}`);
    const next = guard(() => apply(latest));
    let saved;
    try {
      saved = await ctx.store.save(next);
    } catch (error) {
      if (error instanceof CheckpointConflictError && attempt < ctx.commandAttempts) continue;
      throw error;
    }
    ctx.logger.info(`run ${next.transition}`, { runId, step: next.step, status: next.status, saveCharge: saved.requestCharge });
    await followUpOrLog(ctx, next, saved.requestCharge);
    return next;
  }
}

async function saveNew(ctx: RuntimeContext, first: Checkpoint): Promise<SaveResult> {
  try {
    return await ctx.store.save(first);
  } catch (error) {
    if (error instanceof CheckpointConflictError) {
      throw new RunProblem('conflict', 'RunExists', `run id '${first.runId}' is already used; choose another or omit it`);
    }
    throw error;
  }
}

/** The checkpoint is saved, so the run is durable; a failed send is repaired by the stalled-run sweeper. */
async function followUpOrLog(ctx: RuntimeContext, checkpoint: Checkpoint, saveCharge?: number): Promise<void> {
  try {
    await sendFollowUp(ctx, checkpoint, saveCharge);
  } catch (error) {
    ctx.logger.error('could not queue the next superstep; the sweeper will resend it', {
      runId: checkpoint.runId,
      step: checkpoint.step,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Runs `fn`, turning what the caller got wrong into a `RunProblem`. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw asRunProblem(error) ?? error;
  }
}

import { randomUUID } from 'node:crypto';
import { assertRunId } from '../checkpoints/ids';
import type { Page, PageOptions, RunQuery, RunSummary } from '../checkpoints/store';
import type { Checkpoint, CheckpointSummary } from '../engine';
import type { AdvanceOutcome, Delivery } from './advance';
import { advanceRun } from './advance';
import type { StartArgs } from './commands';
import { answer, cancel, forkFrom, loadOrProblem, purge, recordFailure, startNewRun } from './commands';
import type { RuntimeContext, RuntimeOptions } from './context';
import { asRunProblem, runNotFound } from './errors';
import { silentLogger } from './logger';
import { parseStepMessage } from './step-message';
import type { SweepOptions, SweepResult } from './sweeper';
import { sweepStalledRuns } from './sweeper';
import type { RunView } from './views';
import { viewRun } from './views';

export type QueueOutcome = AdvanceOutcome | { action: 'answered'; step: number } | { action: 'dropped'; reason: string };

/** What one trigger can do to a run, whatever the trigger. Every change is a create-only checkpoint. */
export class WorkflowRuntime {
  readonly context: RuntimeContext;

  constructor(options: RuntimeOptions) {
    this.context = {
      store: options.store,
      queue: options.queue,
      workflows: options.workflows,
      clock: options.clock ?? (() => new Date()),
      newId: options.newId ?? randomUUID,
      logger: options.logger ?? silentLogger,
      followUpGraceMs: options.followUpGraceMs ?? 30_000,
      commandAttempts: options.commandAttempts ?? 5,
    };
  }

  start(args: StartArgs): Promise<Checkpoint> {
    return startNewRun(this.context, args);
  }

  /** One superstep of the run: from checkpoint `step`, or from the latest when `step` is omitted. */
  advance(runId: string, step?: number, delivery?: Delivery): Promise<AdvanceOutcome> {
    return advanceRun(this.context, runId, step, delivery);
  }

  answer(runId: string, requestId: string, response: unknown): Promise<Checkpoint> {
    return answer(this.context, { runId, requestId, response });
  }

  cancel(runId: string, reason?: string): Promise<Checkpoint> {
    return cancel(this.context, reason === undefined ? { runId } : { runId, reason });
  }

  fork(runId: string, step: number, newRunId?: string): Promise<Checkpoint> {
    return forkFrom(this.context, newRunId === undefined ? { runId, step } : { runId, step, newRunId });
  }

  purge(runId: string): Promise<number> {
    return purge(this.context, runId);
  }

  async status(runId: string): Promise<RunView> {
    const latest = await this.latestOrProblem(runId);
    const first = latest.step === 0 ? latest : await this.context.store.load(runId, 0).catch(() => undefined);
    return viewRun(latest, first);
  }

  listRuns(query: RunQuery): Promise<Page<RunSummary>> {
    return this.guard(() => this.context.store.listRuns(query));
  }

  async listCheckpoints(runId: string, page: PageOptions): Promise<Page<CheckpointSummary>> {
    const result = await this.guard(() => this.context.store.list(runId, page));
    if (result.items.length === 0 && !page.continuation) await this.latestOrProblem(runId);
    return result;
  }

  getCheckpoint(runId: string, step: number): Promise<Checkpoint> {
    return loadOrProblem(this.context, runId, step);
  }

  sweep(options: SweepOptions): Promise<SweepResult> {
    return sweepStalledRuns(this.context, options);
  }

  /**
   * Handles one step-queue message. A malformed one is dropped with the reason logged (retrying
   * cannot fix it); a failure is rethrown so the queue redelivers it, until it is poisoned.
   */
  async handleQueueMessage(raw: unknown, delivery: Delivery = {}): Promise<QueueOutcome> {
    const parsed = parseStepMessage(raw);
    if (!parsed.ok) {
      this.context.logger.warn('dropped a malformed step message', { reason: parsed.reason });
      return { action: 'dropped', reason: parsed.reason };
    }
    const { message } = parsed;
    if ('requestId' in message) {
      try {
        const next = await this.answer(message.runId, message.requestId, message.response);
        return { action: 'answered', step: next.step };
      } catch (error) {
        const problem = asRunProblem(error);
        if (!problem || problem.kind === 'unavailable') throw error;
        this.context.logger.warn('dropped an answer from the queue', { runId: message.runId, requestId: message.requestId, reason: problem.message });
        return { action: 'dropped', reason: problem.message };
      }
    }
    const charge = 'charge' in message ? message.charge : undefined;
    return this.advance(message.runId, 'step' in message ? message.step : undefined, charge === undefined ? delivery : { ...delivery, charge });
  }

  /** Ends a run whose message could not be processed, recording why. False when it had already finished. */
  async recordPoisoned(raw: unknown, reason: string): Promise<boolean> {
    const parsed = parseStepMessage(raw);
    if (!parsed.ok) {
      this.context.logger.warn('dropped a malformed poison message', { reason: parsed.reason });
      return false;
    }
    const { runId } = parsed.message;
    const atStep = 'step' in parsed.message ? parsed.message.step : undefined;
    try {
      const failed = await recordFailure(this.context, runId, { code: 'Poisoned', message: reason }, atStep);
      if (failed) this.context.logger.error('run failed: its step message was poisoned', { runId, reason });
      return failed;
    } catch (error) {
      const problem = asRunProblem(error);
      if (problem?.kind === 'not-found') return false;
      throw error;
    }
  }

  private async latestOrProblem(runId: string): Promise<Checkpoint> {
    const latest = await this.guard(() => {
      assertRunId(runId);
      return this.context.store.latest(runId);
    });
    if (!latest) throw runNotFound(runId);
    return latest;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw asRunProblem(error) ?? error;
    }
  }
}


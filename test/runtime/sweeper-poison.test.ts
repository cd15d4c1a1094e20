import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepMessage, SweepResult } from '../../src/runtime';
import { WorkflowRuntime } from '../../src/runtime';
import { TestClock } from '../support/clock';
import type { TestRuntime } from '../support/runtime';
import { FlakyStepQueue, createTestRuntime, drain, latestOf, outputOf } from '../support/runtime';
import type { StoreFixture } from '../workflows/stores';
import { EMBEDDED_STORES } from '../workflows/stores';
import { askWorkflow, counterWorkflow } from './fixtures';

const STALLED_MS = 5 * 60_000;

/** Empties the queue of what is visible now, as a crash that lost the messages in flight would. */
function loseMessages(t: TestRuntime): number {
  let lost = 0;
  while (t.queue.receive()) lost++;
  return lost;
}

describe.each(EMBEDDED_STORES)('sweeper and poison handling over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;
  let queue: FlakyStepQueue;

  beforeEach(async () => {
    fixture = await makeStore();
    const clock = new TestClock();
    queue = new FlakyStepQueue(clock.now);
    t = createTestRuntime({ store: fixture.store, workflows: [counterWorkflow(), askWorkflow], clock, queue });
  });

  /** Sweeps, returning the result and the messages the sweep sent. */
  async function sweep(stalledAfterMs: number, maxRuns?: number): Promise<{ result: SweepResult; sent: StepMessage[] }> {
    const before = queue.attempted.length;
    const result = await t.runtime.sweep(maxRuns === undefined ? { stalledAfterMs } : { stalledAfterMs, maxRuns });
    return { result, sent: queue.attempted.slice(before) };
  }
  afterEach(() => fixture.cleanup());

  describe('sweeper', () => {
    it('re-sends the lost message of a running run older than the threshold, and the run finishes', async () => {
      await t.runtime.start({ workflow: 'counter', input: 5, runId: 'stalled' });
      await drain(t, { maxMessages: 2 });
      expect(loseMessages(t)).toBe(1);
      const latest = await latestOf(t.store, 'stalled');

      t.clock.advance(STALLED_MS);
      expect(await sweep(STALLED_MS)).toEqual({ result: { checked: 0, resent: 0 }, sent: [] });

      t.clock.advance(1);
      expect(await sweep(STALLED_MS)).toEqual({ result: { checked: 1, resent: 1 }, sent: [{ runId: 'stalled', step: latest.step }] });
      await drain(t);
      expect(outputOf(await latestOf(t.store, 'stalled'))).toEqual({ count: 5 });
      expect(t.logger.entries).toContainEqual({
        level: 'warn',
        message: 're-sent the message of a stalled run',
        fields: { runId: 'stalled', step: latest.step, status: 'Running' },
      });
    });

    it('re-sends a run whose first message was never queued', async () => {
      await t.runtime.start({ workflow: 'counter', input: 1, runId: 'never-queued' });
      loseMessages(t);
      t.clock.advance(STALLED_MS + 1);
      expect((await sweep(STALLED_MS)).sent).toEqual([{ runId: 'never-queued', step: 0 }]);
      await drain(t);
      expect((await latestOf(t.store, 'never-queued')).status).toBe('Completed');
    });

    it('ignores finished runs, runs waiting for an answer, young runs and timers not yet overdue', async () => {
      await t.runtime.start({ workflow: 'counter', input: 2, runId: 'done' });
      await t.runtime.start({ workflow: 'counter', input: 5, runId: 'cancelled' });
      await t.runtime.cancel('cancelled');
      await t.runtime.start({ workflow: 'ask', input: {}, runId: 'waiting' });
      await t.runtime.start({ workflow: 'ask', input: { timeoutMs: 3_600_000 }, runId: 'sleeping' });
      await drain(t);
      expect((await latestOf(t.store, 'cancelled')).status).toBe('Cancelled');
      expect((await latestOf(t.store, 'done')).status).toBe('Completed');
      expect((await latestOf(t.store, 'waiting')).status).toBe('Waiting');
      expect((await latestOf(t.store, 'sleeping'))).toMatchObject({ status: 'Waiting', step: 1 });

      t.clock.advance(STALLED_MS - 1);
      await t.runtime.start({ workflow: 'counter', input: 2, runId: 'young' });
      loseMessages(t);
      t.clock.advance(2);
      expect(await sweep(STALLED_MS)).toEqual({ result: { checked: 2, resent: 0 }, sent: [] });

      // The sleeping run's timer is due an hour after it started, and overdue only after the threshold.
      t.clock.advance(3_600_000 - STALLED_MS);
      expect((await sweep(STALLED_MS)).sent).toEqual([{ runId: 'young', step: 0 }]);
      t.clock.advance(STALLED_MS);
      const { sent } = await sweep(STALLED_MS);
      expect(sent).toHaveLength(2);
      expect(sent).toContainEqual({ runId: 'young', step: 0 });
      expect(sent).toContainEqual({ runId: 'sleeping', step: 1 });
    });

    it('looks at no more than maxRuns runs in one sweep', async () => {
      for (const runId of ['a', 'b', 'c']) await t.runtime.start({ workflow: 'counter', input: 3, runId });
      loseMessages(t);
      t.clock.advance(STALLED_MS + 1);
      expect((await sweep(STALLED_MS, 2)).result).toEqual({ checked: 2, resent: 2 });
      expect((await sweep(STALLED_MS)).result).toEqual({ checked: 3, resent: 3 });
    });
  });

  describe('recordPoisoned', () => {
    it('fails a running run with the reason, and the run stops', async () => {
      await t.runtime.start({ workflow: 'counter', input: 10, runId: 'poisoned' });
      await drain(t, { maxMessages: 2 });
      const item = t.queue.receive()!;
      expect(await t.runtime.recordPoisoned(item.message, 'dequeued 5 times: store unreachable')).toBe(true);
      const latest = await latestOf(t.store, 'poisoned');
      expect(latest).toMatchObject({ step: 3, status: 'Failed', transition: 'fail', error: { code: 'Poisoned', message: 'dequeued 5 times: store unreachable' } });
      expect((await t.runtime.status('poisoned')).error).toEqual({ code: 'Poisoned', message: 'dequeued 5 times: store unreachable' });
      expect(t.logger.entries).toContainEqual({
        level: 'error',
        message: 'run failed: its step message was poisoned',
        fields: { runId: 'poisoned', reason: 'dequeued 5 times: store unreachable' },
      });
      await t.runtime.handleQueueMessage(item.message);
      await drain(t);
      expect((await latestOf(t.store, 'poisoned')).step).toBe(3);
    });

    it('fails a waiting run too, from a JSON text message', async () => {
      await t.runtime.start({ workflow: 'ask', input: {}, runId: 'stuck' });
      await drain(t);
      expect(await t.runtime.recordPoisoned(JSON.stringify({ runId: 'stuck' }), 'kept failing')).toBe(true);
      expect((await latestOf(t.store, 'stuck')).status).toBe('Failed');
    });

    it('leaves a finished or unknown run alone, and drops a malformed message, returning false', async () => {
      await t.runtime.start({ workflow: 'counter', input: 1, runId: 'finished' });
      await drain(t);
      const before = await t.store.listIds('finished');
      expect(await t.runtime.recordPoisoned({ runId: 'finished', step: 0 }, 'late poison')).toBe(false);
      expect(await t.store.listIds('finished')).toEqual(before);
      expect(await t.runtime.recordPoisoned({ runId: 'unknown-run', step: 0 }, 'x')).toBe(false);
      expect(await t.runtime.recordPoisoned('garbage', 'x')).toBe(false);
      expect(t.logger.entries).toContainEqual({ level: 'warn', message: 'dropped a malformed poison message', fields: { reason: 'the message is not JSON' } });
    });

    it('records a run whose graph this app cannot resume, once its message is poisoned', async () => {
      await t.runtime.start({ workflow: 'counter', input: 3, runId: 'old-graph' });
      const item = t.queue.receive()!;
      const v2 = counterWorkflow('2', true);
      const upgraded = new WorkflowRuntime({ store: t.store, queue: t.queue, workflows: { get: () => v2, list: () => [v2] }, clock: t.clock.now });
      const error = (await upgraded.handleQueueMessage(item.message).then(
        () => new Error('expected a GraphMismatchError'),
        (e: unknown) => e,
      )) as Error;
      expect(error).toMatchObject({ name: 'GraphMismatchError' });
      expect(await upgraded.recordPoisoned(item.message, error.message)).toBe(true);
      const latest = await latestOf(t.store, 'old-graph');
      expect(latest.status).toBe('Failed');
      expect(latest.error?.message).toMatch(/counter version 1 .* counter version 2/);
    });
  });
});

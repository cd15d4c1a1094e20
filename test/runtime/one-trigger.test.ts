import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointTooLargeError } from '../../src/checkpoints/errors';
import type { Checkpoint } from '../../src/engine';
import { GraphMismatchError, decodeValue } from '../../src/engine';
import type { QueueOutcome } from '../../src/runtime';
import { InMemoryStepQueue, WorkflowRuntime } from '../../src/runtime';
import { WorkflowRegistry } from '../../src/workflows/registry';
import { TestClock } from '../support/clock';
import type { TestRuntime } from '../support/runtime';
import { FlakyStepQueue, createTestRuntime, drain, latestOf, outputOf } from '../support/runtime';
import type { StoreFixture } from '../workflows/stores';
import { EMBEDDED_STORES } from '../workflows/stores';
import { HookedStore, askWorkflow, counterWorkflow, flakyWorkflow, range } from './fixtures';

const GRACE_MS = 30_000;

describe.each(EMBEDDED_STORES)('the one-trigger algorithm over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;

  beforeEach(async () => {
    fixture = await makeStore();
    t = createTestRuntime({ store: fixture.store, workflows: [counterWorkflow(), askWorkflow], followUpGraceMs: GRACE_MS });
  });
  afterEach(() => fixture.cleanup());

  /** A clean run of the counter to 6, for comparison. */
  async function cleanRun(): Promise<Checkpoint> {
    const clean = createTestRuntime({ workflows: [counterWorkflow()] });
    const first = await clean.runtime.start({ workflow: 'counter', input: 6, runId: 'clean' });
    await drain(clean);
    return latestOf(clean.store, first.runId);
  }

  async function expectOneCheckpointPerStep(runId: string, last: Checkpoint) {
    expect(await t.store.listIds(runId)).toEqual(range(last.step + 1));
    for (const step of range(last.step + 1)) {
      const checkpoint = await t.store.load(runId, step);
      expect(checkpoint.parent).toEqual(step === 0 ? null : step - 1);
    }
  }

  it('a message delivered twice, one after the other, makes one checkpoint per step and the clean run’s output', async () => {
    await t.runtime.start({ workflow: 'counter', input: 6, runId: 'twice' });
    const outcomes: QueueOutcome[][] = [];
    for (let item = t.queue.receive(); item; item = t.queue.receive()) {
      const first = await t.runtime.handleQueueMessage(item.message, { dequeueCount: 1 });
      const second = await t.runtime.handleQueueMessage(item.message, { dequeueCount: 2 });
      outcomes.push([first, second]);
      expect(t.queue.size).toBeLessThanOrEqual(1);
    }
    expect(outcomes).toHaveLength(6);
    for (const [first, second] of outcomes) {
      expect(first.action).toBe('advanced');
      expect(second).toEqual({ action: 'duplicate', step: (first as { step: number }).step, resent: false });
    }
    const last = await latestOf(t.store, 'twice');
    await expectOneCheckpointPerStep('twice', last);
    const clean = await cleanRun();
    expect(last.status).toBe('Completed');
    expect(last.step).toBe(clean.step);
    expect(outputOf(last)).toEqual(outputOf(clean));
    expect(last.state).toEqual(clean.state);
  });

  it('a duplicate that is not marked as redelivered still only loses the create-only race', async () => {
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'unmarked' });
    const item = t.queue.receive()!;
    await t.runtime.handleQueueMessage(item.message);
    expect(await t.runtime.handleQueueMessage(item.message)).toEqual({ action: 'duplicate', step: 0, resent: false });
    expect(await t.store.listIds('unmarked')).toEqual([0, 1]);
  });

  it('a message delivered twice at the same time makes one checkpoint per step and the clean run’s output', async () => {
    await t.runtime.start({ workflow: 'counter', input: 6, runId: 'concurrent' });
    let steps = 0;
    for (let item = t.queue.receive(); item; item = t.queue.receive()) {
      const outcomes = await Promise.all([
        t.runtime.handleQueueMessage(item.message, { dequeueCount: 1 }),
        t.runtime.handleQueueMessage(item.message, { dequeueCount: 1 }),
      ]);
      expect(outcomes.map((o) => o.action).sort()).toEqual(['advanced', 'duplicate']);
      expect(t.queue.size).toBeLessThanOrEqual(1);
      steps++;
    }
    expect(steps).toBe(6);
    const last = await latestOf(t.store, 'concurrent');
    await expectOneCheckpointPerStep('concurrent', last);
    expect(outputOf(last)).toEqual(outputOf(await cleanRun()));
  });

  it('a stale message for an old step changes nothing and sends nothing', async () => {
    await t.runtime.start({ workflow: 'counter', input: 4, runId: 'stale' });
    await drain(t);
    const before = await t.store.listIds('stale');
    const last = await latestOf(t.store, 'stale');
    for (const dequeueCount of [1, 2]) {
      expect(await t.runtime.handleQueueMessage({ runId: 'stale', step: 1 }, { dequeueCount })).toMatchObject({ action: 'duplicate', step: 1, resent: false });
    }
    t.clock.advance(GRACE_MS * 10);
    expect(await t.runtime.handleQueueMessage({ runId: 'stale', step: 2 }, { dequeueCount: 3 })).toMatchObject({ action: 'duplicate', resent: false });
    expect(await t.runtime.handleQueueMessage({ runId: 'stale', step: last.step })).toEqual({ action: 'idle', step: last.step, reason: 'run is Completed' });
    expect(await t.runtime.handleQueueMessage({ runId: 'stale', step: 99 })).toEqual({ action: 'idle', step: 99, reason: 'no checkpoint 99' });
    expect(await t.store.listIds('stale')).toEqual(before);
    expect(t.queue.size).toBe(0);
  });

  it('{ runId } without a step resumes from the latest checkpoint', async () => {
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'resume' });
    t.queue.receive(); // the step-0 message is lost
    expect(await t.runtime.handleQueueMessage({ runId: 'resume' })).toEqual({ action: 'advanced', step: 0 });
    expect(await t.runtime.handleQueueMessage(JSON.stringify({ runId: 'resume' }))).toEqual({ action: 'advanced', step: 1 });
    await drain(t);
    expect(outputOf(await latestOf(t.store, 'resume'))).toEqual({ count: 3 });
    expect(await t.runtime.handleQueueMessage({ runId: 'resume' })).toMatchObject({ action: 'idle', reason: 'run is Completed' });
    expect(await t.runtime.handleQueueMessage({ runId: 'never-started' })).toEqual({ action: 'idle', reason: 'unknown run' });
  });

  it('{ runId, requestId, response } answers a pending request', async () => {
    const first = await t.runtime.start({ workflow: 'ask', input: {}, runId: 'asked' });
    await drain(t);
    const waiting = await latestOf(t.store, first.runId);
    expect(await t.runtime.handleQueueMessage({ runId: 'asked', step: waiting.step })).toMatchObject({ action: 'idle', reason: 'run is Waiting' });
    const requestId = waiting.pendingRequests[0]!.requestId;
    const outcome = await t.runtime.handleQueueMessage(JSON.stringify({ runId: 'asked', requestId, response: 'yes from the queue' }));
    expect(outcome).toEqual({ action: 'answered', step: waiting.step + 1 });
    await drain(t);
    expect(outputOf(await latestOf(t.store, 'asked'))).toBe('yes from the queue');
  });

  it('drops an answer from the queue that cannot be taken, saying why', async () => {
    await t.runtime.start({ workflow: 'ask', input: {}, runId: 'picky' });
    await drain(t);
    const requestId = (await latestOf(t.store, 'picky')).pendingRequests[0]!.requestId;
    expect(await t.runtime.handleQueueMessage({ runId: 'picky', requestId, response: 42 })).toEqual({
      action: 'dropped',
      reason: 'the answer must be a string',
    });
    expect(await t.runtime.handleQueueMessage({ runId: 'picky', requestId: 'other', response: 'x' })).toEqual({
      action: 'dropped',
      reason: "run 'picky' has no pending request 'other' (unknown or already answered)",
    });
    expect(await t.runtime.handleQueueMessage({ runId: 'nobody', requestId, response: 'x' })).toEqual({ action: 'dropped', reason: "run 'nobody' does not exist" });
    expect(t.logger.entries.filter((e) => e.level === 'warn').map((e) => e.fields?.reason)).toHaveLength(3);
    expect((await latestOf(t.store, 'picky')).status).toBe('Waiting');
  });

  it.each([
    ['not json {', 'the message is not JSON'],
    [42, 'the message must be a JSON object { runId, step? } or { runId, requestId, response }'],
    [null, 'the message must be a JSON object { runId, step? } or { runId, requestId, response }'],
    ['[1]', 'the message must be a JSON object { runId, step? } or { runId, requestId, response }'],
    [{}, 'runId must be 1-128 characters of A-Z a-z 0-9 - _ . :'],
    [{ runId: 'a/b', step: 0 }, 'runId must be 1-128 characters of A-Z a-z 0-9 - _ . :'],
    [{ runId: 'x'.repeat(129) }, 'runId must be 1-128 characters of A-Z a-z 0-9 - _ . :'],
    [{ runId: 'r', step: -1 }, 'step must be a whole number ≥ 0'],
    [{ runId: 'r', step: '1' }, 'step must be a whole number ≥ 0'],
    [{ runId: 'r', step: 1.5 }, 'step must be a whole number ≥ 0'],
    [{ runId: 'r', requestId: '', response: 1 }, 'requestId must be a non-empty string of at most 128 characters'],
    [{ runId: 'r', requestId: 7, response: 1 }, 'requestId must be a non-empty string of at most 128 characters'],
    [{ runId: 'r', requestId: 'q' }, 'a message with requestId needs a response'],
  ])('drops the malformed message %j with the reason', async (raw, reason) => {
    expect(await t.runtime.handleQueueMessage(raw)).toEqual({ action: 'dropped', reason });
    expect(t.logger.entries).toContainEqual({ level: 'warn', message: 'dropped a malformed step message', fields: { reason } });
  });

  it('a message that is not due yet is sent again, delayed to the wake-up time', async () => {
    await t.runtime.start({ workflow: 'ask', input: { timeoutMs: 90_000 }, runId: 'sleepy' });
    await drain(t);
    const waiting = await latestOf(t.store, 'sleepy');
    expect(waiting).toMatchObject({ status: 'Waiting', wakeAt: new Date(t.clock.now().getTime() + 90_000).toISOString() });
    expect(t.queue.nextVisibleAt()).toBe(Date.parse(waiting.wakeAt!));
    t.clock.advance(30_000);
    expect(await t.runtime.handleQueueMessage({ runId: 'sleepy', step: waiting.step })).toEqual({ action: 'deferred', step: waiting.step, wakeAt: waiting.wakeAt });
    await drain(t, { jumpClock: true });
    const last = await latestOf(t.store, 'sleepy');
    expect(outputOf(last)).toBe('timeout');
    expect(last.step).toBe(waiting.step + 1);
  });

  it('a wait longer than a queue message can be hidden is chained through re-sent messages', async () => {
    const thirtyDays = 30 * 24 * 3_600_000;
    await t.runtime.start({ workflow: 'ask', input: { timeoutMs: thirtyDays }, runId: 'month' });
    const startedAt = t.clock.now().getTime();
    const outcomes = await drain(t, { jumpClock: true });
    const deferred = outcomes.filter((o) => o.action === 'deferred');
    expect(deferred.length).toBeGreaterThanOrEqual(4);
    const last = await latestOf(t.store, 'month');
    expect(outputOf(last)).toBe('timeout');
    expect(Date.parse(last.createdAt) - startedAt).toBeGreaterThanOrEqual(thirtyDays);
  });

  it('a superstep whose checkpoint the store cannot hold fails the run, recorded on a checkpoint that fits', async () => {
    const limited = new HookedStore(fixture.store, {
      beforeSave: (checkpoint) => {
        if (checkpoint.transition === 'superstep') throw new CheckpointTooLargeError(checkpoint.runId, checkpoint.step, 3_000_000, 2_000_000);
      },
    });
    const small = createTestRuntime({ store: limited, workflows: [counterWorkflow()], clock: t.clock });
    await small.runtime.start({ workflow: 'counter', input: 3, runId: 'too-big' });
    expect(await drain(small)).toEqual([{ action: 'advanced', step: 0 }]);
    const failed = await latestOf(fixture.store, 'too-big');
    expect(failed).toMatchObject({
      step: 1,
      status: 'Failed',
      transition: 'fail',
      error: { code: 'CheckpointTooLarge', message: "checkpoint 1 of run 'too-big' is 3000000 bytes, over the store's limit of 2000000 bytes" },
    });
  });

  it('a retry waits for its back-off in the queue', async () => {
    const flaky = createTestRuntime({ store: fixture.store, workflows: [flakyWorkflow(2)] });
    await flaky.runtime.start({ workflow: 'flaky', input: null, runId: 'flaky' });
    await drain(flaky);
    const backingOff = await latestOf(flaky.store, 'flaky');
    expect(backingOff).toMatchObject({ status: 'Running', attempt: 1 });
    expect(flaky.queue.nextVisibleAt()).toBe(Date.parse(backingOff.wakeAt!));
    expect(Date.parse(backingOff.wakeAt!) - flaky.clock.now().getTime()).toBe(10_000);
    await drain(flaky, { jumpClock: true });
    expect(outputOf(await latestOf(flaky.store, 'flaky'))).toBe('done');
  });

  it('a run checkpointed by another graph is refused with GraphMismatchError, and nothing is written', async () => {
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'old-graph' });
    const newer = new WorkflowRuntime({
      store: fixture.store,
      queue: t.queue,
      workflows: new WorkflowRegistry([counterWorkflow('2', true)]),
      clock: t.clock.now,
    });
    const item = t.queue.receive()!;
    await expect(newer.handleQueueMessage(item.message)).rejects.toThrow(GraphMismatchError);
    await expect(newer.handleQueueMessage(item.message)).rejects.toThrow(/counter version 1 .*counter version 2/);
    expect(await t.store.listIds('old-graph')).toEqual([0]);
  });
});

describe('a follow-up lost between save and send', () => {
  function setup() {
    const clock = new TestClock();
    const queue = new FlakyStepQueue(clock.now);
    const t = createTestRuntime({ workflows: [counterWorkflow()], clock, queue, followUpGraceMs: GRACE_MS });
    return { t, queue, clock };
  }

  it('is re-sent by the redelivered message once checkpoint n + 1 is older than the grace period', async () => {
    const { t, queue, clock } = setup();
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'crashy' });
    const item = queue.receive()!;
    queue.failNextSends(1);
    await expect(t.runtime.handleQueueMessage(item.message, { dequeueCount: 1 })).rejects.toThrow('the step queue is unavailable');
    expect(await t.store.listIds('crashy')).toEqual([0, 1]);
    expect(queue.size).toBe(0);

    // Redelivered at once: n + 1 is young, its writer may still be sending.
    expect(await t.runtime.handleQueueMessage(item.message, { dequeueCount: 2 })).toEqual({ action: 'duplicate', step: 0, resent: false });
    expect(queue.size).toBe(0);

    clock.advance(GRACE_MS);
    expect(await t.runtime.handleQueueMessage(item.message, { dequeueCount: 3 })).toEqual({ action: 'duplicate', step: 0, resent: true });
    expect(queue.receive()?.message).toEqual({ runId: 'crashy', step: 1 });
    expect(t.logger.entries).toContainEqual({ level: 'warn', message: 're-sent a lost follow-up message', fields: { runId: 'crashy', step: 1 } });
  });

  it('is not re-sent when the run has already gone past n + 1', async () => {
    const { t, queue, clock } = setup();
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'moved-on' });
    const item = queue.receive()!;
    await t.runtime.handleQueueMessage(item.message);
    await drain(t);
    clock.advance(GRACE_MS * 2);
    expect(await t.runtime.handleQueueMessage(item.message, { dequeueCount: 2 })).toEqual({ action: 'duplicate', step: 0, resent: false });
    expect(queue.size).toBe(0);
  });

  it('after a lost send, the run still finishes with the re-sent message', async () => {
    const { t, queue, clock } = setup();
    await t.runtime.start({ workflow: 'counter', input: 3, runId: 'finishes' });
    const item = queue.receive()!;
    queue.failNextSends(1);
    await expect(t.runtime.handleQueueMessage(item.message)).rejects.toThrow();
    clock.advance(GRACE_MS + 1);
    await t.runtime.handleQueueMessage(item.message, { dequeueCount: 2 });
    await drain(t);
    expect(decodeValue((await latestOf(t.store, 'finishes')).output!)).toEqual({ count: 3 });
  });
});

describe('InMemoryStepQueue', () => {
  it('hands out visible messages in order, hides delayed ones until their time, and counts deliveries', async () => {
    const clock = new TestClock();
    const queue = new InMemoryStepQueue(clock.now);
    await queue.send({ runId: 'a', step: 0 }, { delaySeconds: 5 });
    await queue.send({ runId: 'b', step: 0 });
    await queue.send({ runId: 'c', step: 0 });
    expect(queue.receive()?.message).toEqual({ runId: 'b', step: 0 });
    const c = queue.receive()!;
    expect(c).toMatchObject({ message: { runId: 'c', step: 0 }, dequeueCount: 1 });
    expect(queue.receive()).toBeUndefined();
    expect(queue.nextVisibleAt()).toBe(clock.now().getTime() + 5_000);
    queue.release(c);
    expect(queue.receive()).toMatchObject({ message: { runId: 'c', step: 0 }, dequeueCount: 2 });
    clock.advance(5_000);
    expect(queue.receive()?.message).toEqual({ runId: 'a', step: 0 });
    expect(queue.nextVisibleAt()).toBeUndefined();
  });
});

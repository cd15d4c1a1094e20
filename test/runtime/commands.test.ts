import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import { RunProblem, WorkflowRuntime } from '../../src/runtime';
import { sequentialIds } from '../support/clock';
import type { TestRuntime } from '../support/runtime';
import { createTestRuntime, drain, latestOf, outputOf } from '../support/runtime';
import type { StoreFixture } from '../workflows/stores';
import { EMBEDDED_STORES } from '../workflows/stores';
import { HookedStore, askWorkflow, counterWorkflow, range, signal } from './fixtures';

async function problemOf(promise: Promise<unknown>): Promise<RunProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunProblem);
  return error as RunProblem;
}

const INVALID_RUN_IDS = ['', 'a/b', 'a\\b', 'a?b', 'a#b', 'a b', 'x'.repeat(129), '..', 'tab\there', 'ctl\u0001'];

describe.each(EMBEDDED_STORES)('runtime commands over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;

  beforeEach(async () => {
    fixture = await makeStore();
    t = createTestRuntime({ store: fixture.store, workflows: [counterWorkflow(), askWorkflow] });
  });
  afterEach(() => fixture.cleanup());

  describe('start', () => {
    it('saves checkpoint 0 and queues its first superstep; a generated run id is a UUID', async () => {
      const first = await t.runtime.start({ workflow: 'counter', input: 2 });
      expect(first.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(first).toMatchObject({ step: 0, status: 'Pending', transition: 'start', createdAt: t.clock.now().toISOString() });
      expect(await t.store.load(first.runId, 0)).toEqual(first);
      expect(t.queue.receive()?.message).toEqual({ runId: first.runId, step: 0 });
    });

    it('refuses a run id already used, as a conflict', async () => {
      await t.runtime.start({ workflow: 'counter', input: 2, runId: 'taken' });
      const problem = await problemOf(t.runtime.start({ workflow: 'counter', input: 5, runId: 'taken' }));
      expect(problem).toMatchObject({ kind: 'conflict', code: 'RunExists', message: "run id 'taken' is already used; choose another or omit it" });
      expect(await t.store.listIds('taken')).toEqual([0]);
    });

    it.each(INVALID_RUN_IDS)('refuses the run id %j as invalid', async (runId) => {
      const problem = await problemOf(t.runtime.start({ workflow: 'counter', input: 2, runId }));
      expect(problem).toMatchObject({ kind: 'invalid', code: 'InvalidArgument' });
      expect(problem.message).toMatch(/^invalid run id .*: use 1-128 characters of A-Z a-z 0-9 - _ \. :/);
      expect(t.queue.size).toBe(0);
    });

    it('refuses an unknown workflow, naming the registered ones', async () => {
      const problem = await problemOf(t.runtime.start({ workflow: 'nope', input: 1 }));
      expect(problem).toMatchObject({ kind: 'not-found', code: 'WorkflowNotFound', message: "workflow 'nope' is not registered in this app (registered: counter, ask)" });
    });

    it('a run whose first message could not be queued is still started, and says why in the log', async () => {
      const failingQueue = { send: async () => Promise.reject(new Error('queue down')) };
      const runtime = new WorkflowRuntime({ store: t.store, queue: failingQueue, workflows: t.runtime.context.workflows, clock: t.clock.now, logger: t.logger });
      const first = await runtime.start({ workflow: 'counter', input: 1, runId: 'unqueued' });
      expect(await t.store.load('unqueued', 0)).toEqual(first);
      expect(t.logger.entries).toContainEqual({
        level: 'error',
        message: 'could not queue the next superstep; the sweeper will resend it',
        fields: { runId: 'unqueued', step: 0, error: 'queue down' },
      });
    });
  });

  describe('answer', () => {
    it('answers a pending request and queues the next superstep', async () => {
      await t.runtime.start({ workflow: 'ask', input: {}, runId: 'q' });
      await drain(t);
      const view = await t.runtime.status('q');
      const next = await t.runtime.answer('q', view.pendingRequests[0]!.requestId, 'sure');
      expect(next).toMatchObject({ step: view.step + 1, transition: 'response', status: 'Running' });
      expect(t.queue.receive()?.message).toEqual({ runId: 'q', step: next.step });
    });

    it('unknown request → not-found; unknown run → not-found; finished run → gone; bad answer → invalid', async () => {
      await t.runtime.start({ workflow: 'ask', input: {}, runId: 'q' });
      await drain(t);
      const requestId = (await t.runtime.status('q')).pendingRequests[0]!.requestId;
      expect(await problemOf(t.runtime.answer('q', 'nope', 'x'))).toMatchObject({ kind: 'not-found', code: 'UnknownRequest' });
      expect(await problemOf(t.runtime.answer('ghost', requestId, 'x'))).toMatchObject({ kind: 'not-found', code: 'RunNotFound', message: "run 'ghost' does not exist" });
      expect(await problemOf(t.runtime.answer('q', requestId, 42))).toMatchObject({ kind: 'invalid', code: 'InvalidInput', message: 'the answer must be a string' });
      expect(await problemOf(t.runtime.answer('bad/id', requestId, 'x'))).toMatchObject({ kind: 'invalid' });
      await t.runtime.answer('q', requestId, 'yes');
      expect(await problemOf(t.runtime.answer('q', requestId, 'again'))).toMatchObject({ kind: 'not-found', code: 'UnknownRequest' });
      await drain(t);
      expect(await problemOf(t.runtime.answer('q', requestId, 'late'))).toMatchObject({ kind: 'gone', code: 'RunFinished', message: "run 'q' is already Completed" });
    });
  });

  describe('cancel', () => {
    it('cancels a running run; nothing advances it afterwards; a second cancel is gone', async () => {
      await t.runtime.start({ workflow: 'counter', input: 10, runId: 'c' });
      await drain(t, { maxMessages: 2 });
      const cancelled = await t.runtime.cancel('c', 'changed my mind');
      expect(cancelled).toMatchObject({ step: 3, status: 'Cancelled', error: { code: 'Cancelled', message: 'changed my mind' } });
      await drain(t);
      expect(await t.store.listIds('c')).toEqual([0, 1, 2, 3]);
      expect(await problemOf(t.runtime.cancel('c'))).toMatchObject({ kind: 'gone', code: 'RunFinished' });
      expect(await problemOf(t.runtime.cancel('ghost'))).toMatchObject({ kind: 'not-found', code: 'RunNotFound' });
    });

    it('cancels a waiting run', async () => {
      await t.runtime.start({ workflow: 'ask', input: {}, runId: 'w' });
      await drain(t);
      expect((await t.runtime.cancel('w')).status).toBe('Cancelled');
      expect((await t.runtime.status('w')).error).toEqual({ code: 'Cancelled', message: 'cancelled by request' });
    });
  });

  describe('fork', () => {
    it('starts a new run from any checkpoint, which runs to the end', async () => {
      await t.runtime.start({ workflow: 'counter', input: 4, runId: 'source' });
      await drain(t);
      const fork = await t.runtime.fork('source', 2, 'forked');
      expect(fork).toMatchObject({ runId: 'forked', step: 0, transition: 'fork', parent: { runId: 'source', step: 2 } });
      await drain(t);
      expect(outputOf(await latestOf(t.store, 'forked'))).toEqual({ count: 4 });
      expect((await t.runtime.status('forked')).forkedFrom).toEqual({ runId: 'source', step: 2 });
      expect(await t.store.listIds('source')).toEqual(range(5));
    });

    it('a new run id already used is a conflict; a missing checkpoint or run is not-found; a bad id is invalid', async () => {
      await t.runtime.start({ workflow: 'counter', input: 3, runId: 'source' });
      await t.runtime.start({ workflow: 'counter', input: 3, runId: 'busy' });
      expect(await problemOf(t.runtime.fork('source', 0, 'busy'))).toMatchObject({ kind: 'conflict', code: 'RunExists' });
      expect(await problemOf(t.runtime.fork('source', 0, 'source'))).toMatchObject({ kind: 'conflict', code: 'RunExists' });
      expect(await problemOf(t.runtime.fork('source', 7, 'f'))).toMatchObject({ kind: 'not-found', code: 'CheckpointNotFound', message: "checkpoint 7 of run 'source' does not exist" });
      expect(await problemOf(t.runtime.fork('ghost', 0, 'f'))).toMatchObject({ kind: 'not-found', code: 'RunNotFound' });
      expect(await problemOf(t.runtime.fork('source', 0, 'bad/id'))).toMatchObject({ kind: 'invalid' });
      expect(await problemOf(t.runtime.fork('source', -1, 'f'))).toMatchObject({ kind: 'invalid' });
      const generated = await t.runtime.fork('source', 0);
      expect(generated.runId).not.toBe('source');
    });
  });

  describe('status, listings and purge', () => {
    it('shows the run as its latest checkpoint describes it', async () => {
      const startedAt = t.clock.now().toISOString();
      await t.runtime.start({ workflow: 'ask', input: { timeoutMs: 60_000 }, runId: 'seen' });
      t.clock.advance(1_000);
      await drain(t);
      const view = await t.runtime.status('seen');
      expect(view).toEqual({
        runId: 'seen',
        workflow: 'ask',
        workflowVersion: '1',
        status: 'Waiting',
        step: 1,
        createdAt: startedAt,
        updatedAt: t.clock.now().toISOString(),
        pendingRequests: [{ requestId: expect.any(String), executor: 'ask', request: { question: 'yes?' }, createdAt: t.clock.now().toISOString() }],
        wakeAt: new Date(t.clock.now().getTime() + 60_000).toISOString(),
      });
      await t.runtime.answer('seen', view.pendingRequests[0]!.requestId, 'ok');
      await drain(t);
      const done = await t.runtime.status('seen');
      expect(done).toMatchObject({ status: 'Completed', step: 3, output: 'ok', pendingRequests: [] });
      expect(done.wakeAt).toBeUndefined();
      expect(done.error).toBeUndefined();
      expect(await problemOf(t.runtime.status('ghost'))).toMatchObject({ kind: 'not-found', code: 'RunNotFound' });
      expect(await problemOf(t.runtime.status('bad/id'))).toMatchObject({ kind: 'invalid' });
    });

    it('lists checkpoints newest first and reads one', async () => {
      await t.runtime.start({ workflow: 'counter', input: 3, runId: 'listed' });
      await drain(t);
      const page = await t.runtime.listCheckpoints('listed', { limit: 2 });
      expect(page.items.map((c) => c.step)).toEqual([3, 2]);
      expect(page.continuation).toBeDefined();
      const rest = await t.runtime.listCheckpoints('listed', { limit: 2, continuation: page.continuation! });
      expect(rest.items.map((c) => c.step)).toEqual([1, 0]);
      expect((await t.runtime.getCheckpoint('listed', 2)).step).toBe(2);
      expect(await problemOf(t.runtime.getCheckpoint('listed', 9))).toMatchObject({ kind: 'not-found', code: 'CheckpointNotFound' });
      expect(await problemOf(t.runtime.listCheckpoints('ghost', {}))).toMatchObject({ kind: 'not-found', code: 'RunNotFound' });
      expect((await t.runtime.listRuns({ workflow: 'counter' })).items.map((r) => r.runId)).toEqual(['listed']);
    });

    it('purges every checkpoint of a run', async () => {
      await t.runtime.start({ workflow: 'counter', input: 3, runId: 'gone-soon' });
      await drain(t);
      expect(await t.runtime.purge('gone-soon')).toBe(4);
      expect(await t.store.listIds('gone-soon')).toEqual([]);
      expect(await problemOf(t.runtime.status('gone-soon'))).toMatchObject({ kind: 'not-found' });
      expect(await problemOf(t.runtime.purge('gone-soon'))).toMatchObject({ kind: 'not-found', code: 'RunNotFound' });
      expect(await problemOf(t.runtime.purge('bad/id'))).toMatchObject({ kind: 'invalid' });
    });
  });
});

describe('cancel racing a superstep never forks the run', () => {
  it('when the superstep saves first, the cancel lands on the next step', async () => {
    const supersteSaved = signal();
    const store = new HookedStore(new MemoryCheckpointStore(), {
      beforeSave: async (checkpoint) => {
        if (checkpoint.transition === 'cancel') await supersteSaved.promise;
      },
      afterSave: (checkpoint) => {
        if (checkpoint.transition === 'superstep') supersteSaved.fire();
      },
    });
    const t = createTestRuntime({ store, workflows: [counterWorkflow()] });
    await t.runtime.start({ workflow: 'counter', input: 10, runId: 'race' });
    const item = t.queue.receive()!;
    const [advanced, cancelled] = await Promise.all([t.runtime.handleQueueMessage(item.message), t.runtime.cancel('race')]);
    expect(advanced).toEqual({ action: 'advanced', step: 0 });
    expect(cancelled).toMatchObject({ step: 2, status: 'Cancelled', parent: 1 });
    await drain(t);
    expect(await store.listIds('race')).toEqual([0, 1, 2]);
  });

  it('when the cancel saves first, the superstep loses the create-only race', async () => {
    const cancelSaved = signal();
    const store = new HookedStore(new MemoryCheckpointStore(), {
      beforeSave: async (checkpoint) => {
        if (checkpoint.transition === 'superstep') await cancelSaved.promise;
      },
      afterSave: (checkpoint) => {
        if (checkpoint.transition === 'cancel') cancelSaved.fire();
      },
    });
    const t = createTestRuntime({ store, workflows: [counterWorkflow()] });
    await t.runtime.start({ workflow: 'counter', input: 10, runId: 'race' });
    const item = t.queue.receive()!;
    const [advanced, cancelled] = await Promise.all([t.runtime.handleQueueMessage(item.message), t.runtime.cancel('race')]);
    expect(advanced).toEqual({ action: 'duplicate', step: 0, resent: false });
    expect(cancelled).toMatchObject({ step: 1, status: 'Cancelled' });
    await drain(t);
    expect(await store.listIds('race')).toEqual([0, 1]);
  });

  it.each(EMBEDDED_STORES)('whatever the interleaving (%s)', async (_name, makeStore) => {
    const fixture = await makeStore();
    try {
      const t = createTestRuntime({ store: fixture.store, workflows: [counterWorkflow()], newId: sequentialIds() });
      for (const [index, delayTicks] of [0, 1, 2, 3, 5, 8, 13, 21].entries()) {
        const runId = `race-${index}`;
        await t.runtime.start({ workflow: 'counter', input: 50, runId });
        await drain(t, { maxMessages: 2 });
        const item = t.queue.receive()!;
        const cancelLater = async () => {
          for (let i = 0; i < delayTicks; i++) await new Promise((resolve) => setImmediate(resolve));
          return t.runtime.cancel(runId);
        };
        await Promise.all([t.runtime.handleQueueMessage(item.message), cancelLater()]);
        await drain(t);
        const ids = await t.store.listIds(runId);
        const latest = await latestOf(t.store, runId);
        expect(ids).toEqual(range(latest.step + 1));
        expect(latest.status).toBe('Cancelled');
        const statuses = await Promise.all(ids.map(async (step) => (await t.store.load(runId, step)).status));
        expect(statuses.filter((s) => s === 'Cancelled')).toHaveLength(1);
        for (const step of ids.slice(1)) expect((await t.store.load(runId, step)).parent).toEqual(step - 1);
      }
    } finally {
      await fixture.cleanup();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summarize, type Checkpoint, type RunStatus } from '../../src/engine/checkpoint';
import {
  CheckpointConflictError,
  CheckpointNotFoundError,
  InvalidCheckpointArgumentError,
} from '../../src/checkpoints/errors';
import { MAX_STEP } from '../../src/checkpoints/ids';
import type { CheckpointStore, Page } from '../../src/checkpoints/store';
import { makeCheckpoint, uniqueRunId, saveSteps as saveStepsIn } from '../support/checkpoints';

export interface CheckpointStoreUnderTest {
  store: CheckpointStore;
  /** Runs after each test, after the store was used; close clients and remove folders here. */
  cleanup?: () => Promise<void>;
}

/** Run ids every store must refuse, on every method, before any I/O. */
export const INVALID_RUN_IDS: readonly unknown[] = [
  '',
  '/',
  'a/b',
  '\\',
  'a\\b',
  '?',
  '#',
  'run?x=1',
  'run#1',
  '..',
  '.',
  '../escape',
  'a'.repeat(129),
  'tab\there',
  'nul\u0000byte',
  'line\nbreak',
  'space here',
  'ümlaut',
  undefined,
  null,
  42,
];

/** Steps every store must refuse. */
export const INVALID_STEPS: readonly unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_STEP + 1, '1', undefined];

const INVALID_LIMITS: readonly unknown[] = [0, -1, 1001, 2.5, Number.NaN, '10'];
const INVALID_CONTINUATIONS: readonly string[] = ['definitely not a continuation token', '%%%'];

/**
 * The behaviour every `CheckpointStore` shares. `factory` runs before every test and `cleanup` after
 * it. Tests use fresh run ids and workflow names, so a factory may hand out the same backing store
 * (one Cosmos container, say) every time, with other data already in it.
 */
export function describeCheckpointStoreContract(name: string, factory: () => Promise<CheckpointStoreUnderTest>): void {
  describe(`${name}: CheckpointStore contract`, () => {
    let store: CheckpointStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });

    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    const saveSteps = (runId: string, steps: readonly number[], overrides: Partial<Checkpoint> = {}) => saveStepsIn(store, runId, steps, overrides);

    describe('save and load', () => {
      it('round-trips a checkpoint with every optional field exactly', async () => {
        const runId = uniqueRunId();
        const checkpoint = makeCheckpoint(runId, 3, {
          status: 'Waiting',
          transition: 'response',
          messages: [
            { source: null, target: 'reviewer', kind: 'response', payload: { $t: 'Date', v: '2024-05-01T00:00:00.000Z' }, ref: 'req-1', attempt: 2 },
            { source: 'timer', target: 'reviewer', kind: 'timer', payload: null, ref: 'timer-1' },
          ],
          state: { nested: { list: [1, 2.5, -0.125, 1e21, true, false, null], text: 'héllo ✓ 🚀 \u2028 "quoted" \\ back' }, empty: {} },
          fanIn: { 'edge-1': { mapperA: [{ words: 3 }], mapperB: [] } },
          pendingRequests: [{ requestId: 'req-2', executor: 'reviewer', request: { title: 'Pay', amount: 12 }, createdAt: '2024-05-01T12:00:03.000Z' }],
          timers: [{ timerId: 'timer-2', executor: 'reviewer', wakeAt: '2024-05-02T12:00:00.000Z', payload: 'wake' }],
          output: { partial: ['a', 'b'] },
          error: { message: 'boom', name: 'TypeError', executor: 'reviewer', input: { n: 1 }, attempts: 3, code: 'E_BOOM' },
          wakeAt: '2024-05-02T12:00:00.000Z',
          attempt: 2,
          metrics: { durationMs: 12.5, bytes: 2048, requestCharge: 1.05, runRequestCharge: 30.2 },
        });
        const expected = structuredClone(checkpoint);

        const result = await store.save(checkpoint);

        expect(result.bytes).toBeGreaterThan(0);
        expect(await store.load(runId, 3)).toStrictEqual(expected);
      });

      it('round-trips a minimal checkpoint exactly, with no fields added', async () => {
        const runId = uniqueRunId();
        const checkpoint = makeCheckpoint(runId, 0);
        await store.save(checkpoint);
        expect(await store.load(runId, 0)).toStrictEqual(checkpoint);
      });

      it('refuses a second save of the same step with a conflict naming run and step, keeping the first', async () => {
        const runId = uniqueRunId();
        const first = makeCheckpoint(runId, 4, { state: { writer: 'first' } });
        await store.save(first);

        const second = store.save(makeCheckpoint(runId, 4, { state: { writer: 'second' } }));

        await expect(second).rejects.toBeInstanceOf(CheckpointConflictError);
        await expect(second).rejects.toMatchObject({ runId, step: 4 });
        expect(await store.load(runId, 4)).toStrictEqual(first);
      });

      it('lets exactly one of several concurrent saves of one step win', async () => {
        const runId = uniqueRunId();
        await store.save(makeCheckpoint(runId, 0));
        const contenders = Array.from({ length: 6 }, (_, writer) => makeCheckpoint(runId, 1, { state: { writer } }));

        const results = await Promise.allSettled(contenders.map((checkpoint) => store.save(checkpoint)));

        const winners = results.flatMap((result, writer) => (result.status === 'fulfilled' ? [writer] : []));
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(CheckpointConflictError);
        }
        expect(await store.load(runId, 1)).toStrictEqual(contenders[winners[0]!]);
        expect(await store.listIds(runId)).toEqual([0, 1]);
      });

      it('throws CheckpointNotFoundError naming run and step for a missing step of a known run', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0]);

        const load = store.load(runId, 7);

        await expect(load).rejects.toBeInstanceOf(CheckpointNotFoundError);
        await expect(load).rejects.toMatchObject({ runId, step: 7 });
        await expect(load).rejects.toThrow(runId);
        await expect(load).rejects.toThrow(/\b7\b/);
      });

      it('throws CheckpointNotFoundError for a run that does not exist', async () => {
        const runId = uniqueRunId('never-saved');
        await expect(store.load(runId, 0)).rejects.toBeInstanceOf(CheckpointNotFoundError);
      });

      it('keeps runs apart even when they use the same step numbers', async () => {
        const runA = uniqueRunId('a');
        const runB = uniqueRunId('b');
        const savedA = await saveSteps(runA, [0, 1, 2], { workflow: 'workflow-a' });
        const savedB = await saveSteps(runB, [0, 1, 2], { workflow: 'workflow-b' });

        expect(await store.load(runA, 1)).toStrictEqual(savedA[1]);
        expect(await store.load(runB, 1)).toStrictEqual(savedB[1]);
        expect((await store.latest(runA))?.workflow).toBe('workflow-a');
        expect((await store.list(runB)).items.map((item) => item.workflow)).toEqual(['workflow-b', 'workflow-b', 'workflow-b']);
      });

      it('treats run ids that differ only in letter case as different runs', async () => {
        const suffix = randomUUID();
        const lower = `case-${suffix}`;
        const upper = lower.toUpperCase();
        await store.save(makeCheckpoint(lower, 0, { workflow: 'lower' }));
        await store.save(makeCheckpoint(upper, 0, { workflow: 'upper' }));

        expect((await store.load(lower, 0)).workflow).toBe('lower');
        expect((await store.load(upper, 0)).workflow).toBe('upper');
        expect(await store.deleteRun(upper)).toBe(1);
        expect(await store.listIds(lower)).toEqual([0]);
      });

      it('accepts every run id character and exactly 128 characters on every method', async () => {
        const suffix = randomUUID();
        const longId = `Long:${suffix}.`.concat('aZ9_.-:'.repeat(20)).slice(0, 128);
        expect(longId).toHaveLength(128);
        const workflow = `ids-${suffix}`;
        const runIds = [`dots.colons:dash-under_${suffix}`, `.${suffix}.`, `CON.${suffix}`, `con.${suffix}`, `MixedCase:${suffix}`, longId];

        for (const runId of runIds) {
          const [first, second] = await saveSteps(runId, [0, 1], { workflow });
          expect(await store.load(runId, 0)).toStrictEqual(first);
          expect(await store.latest(runId)).toStrictEqual(second);
          expect((await store.list(runId)).items.map((item) => item.step)).toEqual([1, 0]);
          expect(await store.listIds(runId)).toEqual([0, 1]);
        }
        const listed = await store.listRuns({ workflow });
        expect(listed.items.map((run) => run.runId).sort()).toEqual([...runIds].sort());
        for (const runId of runIds) {
          expect(await store.delete(runId, 1)).toBe(true);
          expect(await store.deleteRun(runId)).toBe(1);
          expect(await store.latest(runId)).toBeUndefined();
        }
      });

      it('accepts steps from 0 up to the largest step', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [MAX_STEP, 0]);
        expect((await store.load(runId, MAX_STEP)).step).toBe(MAX_STEP);
        expect((await store.latest(runId))?.step).toBe(MAX_STEP);
        expect(await store.listIds(runId)).toEqual([0, MAX_STEP]);
      });

      it('can save a step again after it was deleted', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0]);
        expect(await store.delete(runId, 0)).toBe(true);
        const again = makeCheckpoint(runId, 0, { state: { again: true } });
        await store.save(again);
        expect(await store.load(runId, 0)).toStrictEqual(again);
      });
    });

    describe('invalid arguments', () => {
      it.each(INVALID_RUN_IDS.map((runId) => [runId]))('refuses run id %j on every method', async (runId) => {
        const id = runId as string;
        const calls: Record<string, () => Promise<unknown>> = {
          save: () => store.save(makeCheckpoint(id, 0)),
          load: () => store.load(id, 0),
          latest: () => store.latest(id),
          list: () => store.list(id),
          listIds: () => store.listIds(id),
          delete: () => store.delete(id, 0),
          deleteRun: () => store.deleteRun(id),
        };
        for (const [method, call] of Object.entries(calls)) {
          await expect(call(), method).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        }
      });

      it.each(INVALID_STEPS.map((step) => [step]))('refuses step %s on save, load and delete', async (step) => {
        const runId = uniqueRunId();
        const bad = step as number;
        await expect(store.save(makeCheckpoint(runId, bad)), 'save').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.load(runId, bad), 'load').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.delete(runId, bad), 'delete').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        expect(await store.listIds(runId)).toEqual([]);
      });

      it.each(INVALID_LIMITS.map((limit) => [limit]))('refuses page limit %s on list and listRuns', async (limit) => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0]);
        const bad = limit as number;
        await expect(store.list(runId, { limit: bad }), 'list').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.listRuns({ limit: bad }), 'listRuns').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      });

      it.each(INVALID_CONTINUATIONS.map((token) => [token]))('refuses continuation %j on list and listRuns', async (token) => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0, 1]);
        await expect(store.list(runId, { continuation: token }), 'list').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.listRuns({ continuation: token }), 'listRuns').rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      });

      it('refuses an unknown status or an unreadable updatedBefore in listRuns', async () => {
        await expect(store.listRuns({ status: 'Sleeping' as RunStatus })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.listRuns({ updatedBefore: 'not a date' })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      });

      it('accepts limits 1 and 1000', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0, 1]);
        expect((await store.list(runId, { limit: 1 })).items.map((item) => item.step)).toEqual([1]);
        expect((await store.list(runId, { limit: 1000 })).items.map((item) => item.step)).toEqual([1, 0]);
        await expect(store.listRuns({ limit: 1000 })).resolves.toBeDefined();
      });
    });

    describe('latest', () => {
      it('is undefined for a run that does not exist', async () => {
        expect(await store.latest(uniqueRunId('never-saved'))).toBeUndefined();
      });

      it('returns the highest step after many saves made out of order', async () => {
        const runId = uniqueRunId();
        const order = Array.from({ length: 25 }, (_, index) => (index * 7) % 25);
        const saved = await saveSteps(runId, order);

        const latest = await store.latest(runId);

        expect(latest).toStrictEqual(saved.find((checkpoint) => checkpoint.step === 24));
      });

      it('falls back to the previous step when the newest is deleted', async () => {
        const runId = uniqueRunId();
        const saved = await saveSteps(runId, [0, 1, 2]);
        await store.delete(runId, 2);
        expect(await store.latest(runId)).toStrictEqual(saved[1]);
      });
    });

    describe('list and listIds', () => {
      it('gives an empty page and no ids for a run that does not exist', async () => {
        const runId = uniqueRunId('never-saved');
        expect(await store.list(runId)).toEqual({ items: [] });
        expect(await store.listIds(runId)).toEqual([]);
      });

      it('lists summaries newest first, in one page by default', async () => {
        const runId = uniqueRunId();
        const saved = await saveSteps(runId, [2, 0, 1, 3]);

        const page = await store.list(runId);

        expect(page.continuation).toBeUndefined();
        expect(page.items).toStrictEqual(
          [...saved].sort((a, b) => b.step - a.step).map((checkpoint) => summarize(checkpoint)),
        );
      });

      it('pages through every checkpoint with no duplicates and no gaps', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [5, 0, 9, 3, 1, 8, 2, 7, 4, 6]);

        const pages = await collectPages((continuation) => store.list(runId, { limit: 3, continuation }));

        expect(pages.length).toBeGreaterThanOrEqual(4);
        for (const page of pages) expect(page.items.length).toBeLessThanOrEqual(3);
        expect(pages.flatMap((page) => page.items.map((item) => item.step))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      });

      it('lists ids ascending', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [10, 2, 0, 11, 1, 9]);
        expect(await store.listIds(runId)).toEqual([0, 1, 2, 9, 10, 11]);
      });
    });

    describe('delete and deleteRun', () => {
      it('deletes one checkpoint and reports false when it is already gone', async () => {
        const runId = uniqueRunId();
        await saveSteps(runId, [0, 1, 2]);

        expect(await store.delete(runId, 1)).toBe(true);
        expect(await store.delete(runId, 1)).toBe(false);

        await expect(store.load(runId, 1)).rejects.toBeInstanceOf(CheckpointNotFoundError);
        expect(await store.listIds(runId)).toEqual([0, 2]);
        expect(await store.delete(uniqueRunId('never-saved'), 0)).toBe(false);
      });

      it('deletes a whole run, counts what it removed, and leaves other runs alone', async () => {
        const workflow = `purge-${randomUUID()}`;
        const doomed = uniqueRunId('doomed');
        const kept = uniqueRunId('kept');
        await saveSteps(doomed, [0, 1, 2, 3], { workflow });
        const keptCheckpoints = await saveSteps(kept, [0, 1], { workflow });

        expect(await store.deleteRun(doomed)).toBe(4);

        expect(await store.listIds(doomed)).toEqual([]);
        expect(await store.latest(doomed)).toBeUndefined();
        expect(await store.list(doomed)).toEqual({ items: [] });
        await expect(store.load(doomed, 0)).rejects.toBeInstanceOf(CheckpointNotFoundError);
        expect(await store.deleteRun(doomed)).toBe(0);
        expect(await store.latest(kept)).toStrictEqual(keptCheckpoints[1]);
        expect((await store.listRuns({ workflow })).items.map((run) => run.runId)).toEqual([kept]);
      });
    });

    describe('listRuns', () => {
      const at = (minute: number): string => new Date(Date.UTC(2031, 0, 1, 0, minute)).toISOString();

      /** Saves a run whose checkpoints were written at the given minutes, with the given statuses. */
      async function saveRun(workflow: string, label: string, history: Array<[minute: number, status: RunStatus]>): Promise<string> {
        const runId = uniqueRunId(label);
        for (const [step, [minute, status]] of history.entries()) {
          await store.save(makeCheckpoint(runId, step, { workflow, status, createdAt: at(minute), runCreatedAt: at(history[0]![0]) }));
        }
        return runId;
      }

      it('describes each run by its latest checkpoint', async () => {
        const workflow = `summary-${randomUUID()}`;
        const runId = await saveRun(workflow, 'summarized', [[1, 'Running'], [2, 'Waiting'], [5, 'Completed']]);

        const page = await store.listRuns({ workflow });

        expect(page.items).toStrictEqual([{ runId, workflow, status: 'Completed', step: 2, createdAt: at(1), updatedAt: at(5) }]);
        expect(page.continuation).toBeUndefined();
      });

      it('orders runs by most recent update, not by start or id', async () => {
        const workflow = `order-${randomUUID()}`;
        const startedFirstUpdatedLast = await saveRun(workflow, 'a', [[1, 'Running'], [30, 'Running']]);
        const middle = await saveRun(workflow, 'b', [[10, 'Running']]);
        const startedLastUpdatedFirst = await saveRun(workflow, 'c', [[5, 'Running'], [6, 'Running']]);

        const page = await store.listRuns({ workflow });

        expect(page.items.map((run) => run.runId)).toEqual([startedFirstUpdatedLast, middle, startedLastUpdatedFirst]);
      });

      it('filters by workflow and by the status of the latest checkpoint', async () => {
        const workflow = `status-${randomUUID()}`;
        const otherWorkflow = `status-other-${randomUUID()}`;
        const waiting = await saveRun(workflow, 'waiting', [[1, 'Running'], [2, 'Waiting']]);
        const running = await saveRun(workflow, 'running', [[3, 'Running']]);
        const completed = await saveRun(workflow, 'completed', [[4, 'Running'], [5, 'Running'], [6, 'Completed']]);
        const elsewhere = await saveRun(otherWorkflow, 'elsewhere', [[7, 'Running']]);

        const ids = async (status: RunStatus, inWorkflow = workflow): Promise<string[]> =>
          (await store.listRuns({ workflow: inWorkflow, status })).items.map((run) => run.runId);

        expect(await ids('Running')).toEqual([running]);
        expect(await ids('Waiting')).toEqual([waiting]);
        expect(await ids('Completed')).toEqual([completed]);
        expect(await ids('Failed')).toEqual([]);
        expect(await ids('Running', otherWorkflow)).toEqual([elsewhere]);
        const anyOf = async (status: RunStatus[]): Promise<string[]> => (await store.listRuns({ workflow, status })).items.map((run) => run.runId);
        expect(await anyOf(['Running', 'Waiting'])).toEqual([running, waiting]);
        expect(await anyOf(['Completed', 'Pending', 'Running'])).toEqual([completed, running]);
        await expect(store.listRuns({ workflow, status: [] })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        await expect(store.listRuns({ workflow, status: ['Running', 'Sleeping' as RunStatus] })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
        expect((await store.listRuns({ workflow })).items.map((run) => run.runId)).toEqual([completed, running, waiting]);
      });

      it('filters by updatedBefore on the latest checkpoint, strictly before', async () => {
        const workflow = `stale-${randomUUID()}`;
        const old = await saveRun(workflow, 'old', [[1, 'Running'], [2, 'Running']]);
        await saveRun(workflow, 'boundary', [[10, 'Running']]);
        await saveRun(workflow, 'revived', [[1, 'Running'], [20, 'Running']]);

        const page = await store.listRuns({ workflow, updatedBefore: at(10) });

        expect(page.items.map((run) => run.runId)).toEqual([old]);
        expect((await store.listRuns({ workflow, status: 'Running', updatedBefore: at(60) })).items).toHaveLength(3);
      });

      it('pages through every matching run with no duplicates and no gaps', async () => {
        const workflow = `paging-${randomUUID()}`;
        const expected: string[] = [];
        for (const minute of [4, 1, 7, 3, 6, 2, 5]) {
          expected[7 - minute] = await saveRun(workflow, `m${minute}`, [[minute, 'Running']]);
        }

        const pages = await collectPages((continuation) => store.listRuns({ workflow, limit: 3, continuation }));

        expect(pages.length).toBeGreaterThanOrEqual(3);
        for (const page of pages) expect(page.items.length).toBeLessThanOrEqual(3);
        expect(pages.flatMap((page) => page.items.map((run) => run.runId))).toEqual(expected);
      });

      it('lists every workflow most recently updated first when nothing is filtered', async () => {
        const workflow = `unfiltered-${randomUUID()}`;
        await saveRun(workflow, 'any', [[1, 'Running']]);

        const page = await store.listRuns();

        expect(page.items.length).toBeGreaterThan(0);
        expect(page.items.length).toBeLessThanOrEqual(100);
        const times = page.items.map((run) => run.updatedAt);
        expect(times).toEqual([...times].sort().reverse());
      });
    });
  });
}

/** Follows continuations until the last page; a store may end with one empty page. */
async function collectPages<T>(fetchPage: (continuation?: string) => Promise<Page<T>>): Promise<Array<Page<T>>> {
  const pages: Array<Page<T>> = [];
  let continuation: string | undefined;
  do {
    const page = await fetchPage(continuation);
    pages.push(page);
    continuation = page.continuation;
    if (continuation !== undefined) expect(page.items.length, 'a page with a continuation is not empty').toBeGreaterThan(0);
    expect(pages.length, 'too many pages').toBeLessThan(100);
  } while (continuation !== undefined);
  return pages;
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/engine';
import { RunProblem } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS, createApprovalWorkflow } from '../../src/workflows/approval';
import type { TestRuntime } from '../support/runtime';
import { createTestRuntime, drain, latestOf, outputOf } from '../support/runtime';
import type { StoreFixture } from './stores';
import { EMBEDDED_STORES } from './stores';

const DAY_MS = DEFAULT_APPROVAL_TIMEOUT_SECONDS * 1000;

async function problemOf(promise: Promise<unknown>): Promise<RunProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunProblem);
  return error as RunProblem;
}

describe.each(EMBEDDED_STORES)('approval over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;

  beforeEach(async () => {
    fixture = await makeStore();
    t = createTestRuntime({ store: fixture.store, workflows: shippedWorkflows() });
  });
  afterEach(() => fixture.cleanup());

  /** Starts a run and drains it to where it waits for the human. */
  async function startWaiting(input: unknown = { title: 'New laptop', amount: 1_499.5 }) {
    const first = await t.runtime.start({ workflow: 'approval', input });
    await drain(t);
    const waiting = await latestOf(t.store, first.runId);
    expect(waiting.status).toBe('Waiting');
    expect(waiting.pendingRequests).toHaveLength(1);
    return { runId: first.runId, waiting, request: waiting.pendingRequests[0]! };
  }

  it('asks one question with the title, amount and when it expires', async () => {
    const startedAt = t.clock.now();
    const { runId, waiting, request } = await startWaiting();
    expect(request.executor).toBe('ask');
    expect(decodeValue(request.request)).toEqual({
      title: 'New laptop',
      amount: 1_499.5,
      question: 'Approve "New laptop" for 1499.5?',
      expiresAt: new Date(startedAt.getTime() + DAY_MS).toISOString(),
    });
    expect(waiting.wakeAt).toBe(new Date(startedAt.getTime() + DAY_MS).toISOString());
    const view = await t.runtime.status(runId);
    expect(view).toMatchObject({ status: 'Waiting', pendingRequests: [{ requestId: request.requestId, executor: 'ask' }] });
  });

  it('completes with the approval and its comment', async () => {
    const { runId, request } = await startWaiting();
    await t.runtime.answer(runId, request.requestId, { approved: true, comment: 'ok' });
    await drain(t);
    const last = await latestOf(t.store, runId);
    expect(last.status).toBe('Completed');
    expect(last.pendingRequests).toEqual([]);
    expect(last.timers).toEqual([]);
    expect(outputOf(last)).toEqual({ approved: true, comment: 'ok', title: 'New laptop', amount: 1_499.5 });
  });

  it('completes with a rejection, without a comment', async () => {
    const { runId, request } = await startWaiting({ title: 'Yacht', amount: 0 });
    await t.runtime.answer(runId, request.requestId, { approved: false });
    await drain(t, { jumpClock: true });
    const last = await latestOf(t.store, runId);
    expect(outputOf(last)).toEqual({ approved: false, title: 'Yacht', amount: 0 });
  });

  it.each([
    [null, 'the answer must be an object { approved: boolean, comment?: string }'],
    [{}, 'the answer must be an object { approved: boolean, comment?: string }'],
    [{ approved: 'yes' }, 'the answer must be an object { approved: boolean, comment?: string }'],
    [[true], 'the answer must be an object { approved: boolean, comment?: string }'],
    [{ approved: true, comment: 5 }, 'comment must be a string of at most 4000 characters'],
    [{ approved: true, comment: 'x'.repeat(4_001) }, 'comment must be a string of at most 4000 characters'],
    [{ approved: true, by: 'me' }, 'the answer has unknown field(s): by'],
  ])('refuses the answer %j, and the run keeps waiting', async (response, message) => {
    const { runId, request, waiting } = await startWaiting();
    const problem = await problemOf(t.runtime.answer(runId, request.requestId, response));
    expect(problem).toMatchObject({ kind: 'invalid', code: 'InvalidInput', message });
    expect(await latestOf(t.store, runId)).toEqual(waiting);
  });

  it('rejects on its own once the timeout passes without an answer', async () => {
    const { runId, request } = await startWaiting({ title: 'Forgotten', amount: 10 });
    t.clock.advance(DAY_MS - 1_000);
    await drain(t);
    expect((await latestOf(t.store, runId)).status).toBe('Waiting');
    t.clock.advance(2_000);
    await drain(t);
    const last = await latestOf(t.store, runId);
    expect(last.status).toBe('Completed');
    expect(last.pendingRequests).toEqual([]);
    expect(outputOf(last)).toEqual({
      approved: false,
      comment: 'rejected automatically: no answer before the timeout',
      title: 'Forgotten',
      amount: 10,
    });
    const late = await problemOf(t.runtime.answer(runId, request.requestId, { approved: true }));
    expect(late).toMatchObject({ kind: 'gone', code: 'RunFinished' });
  });

  it('takes an answer that arrives after the timeout but before the run woke up', async () => {
    const { runId, request } = await startWaiting();
    t.clock.advance(DAY_MS + 60_000);
    await t.runtime.answer(runId, request.requestId, { approved: true, comment: 'sorry, late' });
    await drain(t, { jumpClock: true });
    const last = await latestOf(t.store, runId);
    expect(last.status).toBe('Completed');
    expect(outputOf(last)).toMatchObject({ approved: true, comment: 'sorry, late' });
  });

  it('honours timeoutSeconds given with the run', async () => {
    const startedAt = t.clock.now().getTime();
    const { runId, request } = await startWaiting({ title: 'Quick', amount: 1, timeoutSeconds: 60 });
    expect(decodeValue(request.request)).toMatchObject({ expiresAt: new Date(startedAt + 60_000).toISOString() });
    t.clock.advance(59_000);
    await drain(t);
    expect((await latestOf(t.store, runId)).status).toBe('Waiting');
    t.clock.advance(1_000);
    await drain(t);
    expect(outputOf(await latestOf(t.store, runId))).toMatchObject({ approved: false });
  });

  it.each([
    [null, 'input must be an object { title: string, amount: number ≥ 0 }'],
    [[], 'input must be an object { title: string, amount: number ≥ 0 }'],
    [{ amount: 1 }, 'input.title must be a non-empty string of at most 500 characters'],
    [{ title: '   ', amount: 1 }, 'input.title must be a non-empty string of at most 500 characters'],
    [{ title: 'x'.repeat(501), amount: 1 }, 'input.title must be a non-empty string of at most 500 characters'],
    [{ title: 'x' }, 'input.amount must be a finite number ≥ 0'],
    [{ title: 'x', amount: -0.01 }, 'input.amount must be a finite number ≥ 0'],
    [{ title: 'x', amount: '5' }, 'input.amount must be a finite number ≥ 0'],
    [{ title: 'x', amount: Number.POSITIVE_INFINITY }, 'input.amount must be a finite number ≥ 0'],
    [{ title: 'x', amount: 1, approver: 'bob' }, 'input has unknown field(s): approver'],
    [{ title: 'x', amount: 1, timeoutSeconds: 0 }, 'input.timeoutSeconds must be a number of seconds from 1 to 31536000'],
    [{ title: 'x', amount: 1, timeoutSeconds: 0.5 }, 'input.timeoutSeconds must be a number of seconds from 1 to 31536000'],
    [{ title: 'x', amount: 1, timeoutSeconds: 31_536_001 }, 'input.timeoutSeconds must be a number of seconds from 1 to 31536000'],
    [{ title: 'x', amount: 1, timeoutSeconds: '60' }, 'input.timeoutSeconds must be a number of seconds from 1 to 31536000'],
  ])('refuses the input %j', async (input, message) => {
    const problem = await problemOf(t.runtime.start({ workflow: 'approval', input }));
    expect(problem).toMatchObject({ kind: 'invalid', code: 'InvalidInput', message });
  });
});

describe('approval timeout setting', () => {
  it('the app-wide default timeout is configurable', async () => {
    const t = createTestRuntime({ workflows: shippedWorkflows({ approvalTimeoutSeconds: 120 }) });
    const first = await t.runtime.start({ workflow: 'approval', input: { title: 't', amount: 1 } });
    await drain(t);
    expect((await latestOf(t.store, first.runId)).wakeAt).toBe(new Date(t.clock.now().getTime() + 120_000).toISOString());
    t.clock.advance(120_000);
    await drain(t);
    expect(outputOf(await latestOf(t.store, first.runId))).toMatchObject({ approved: false });
  });

  it('refuses a default timeout outside 1 s to a year', () => {
    expect(() => createApprovalWorkflow({ timeoutSeconds: 0 })).toThrow('the approval timeout must be a number of seconds from 1 to 31536000');
    expect(() => createApprovalWorkflow({ timeoutSeconds: Number.NaN })).toThrow(/the approval timeout/);
  });
});

import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import { readSettings } from '../../src/config';
import { answerRequest, cancelRun, getRun, purgeRun } from '../../src/functions/runs';
import { forkRun, getCheckpoint, listCheckpoints } from '../../src/functions/checkpoints';
import { listWorkflows, startRun } from '../../src/functions/workflows';
import { listRuns } from '../../src/functions/runs';
import { advanceRun } from '../../src/functions/step-queue';
import { failPoisonedRun } from '../../src/functions/poison-queue';
import { useApp } from '../../src/functions/http/app-instance';
import { MAX_BODY_BYTES } from '../../src/functions/http/request-body';
import { drainQueue, InMemoryStepQueue, silentLogger, WorkflowRuntime } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';

const BASE = 'http://localhost:7071/api';
let queue: InMemoryStepQueue;
let runtime: WorkflowRuntime;

beforeEach(() => {
  queue = new InMemoryStepQueue();
  const store = new MemoryCheckpointStore();
  runtime = new WorkflowRuntime({ store, queue, workflows: shippedWorkflows(), logger: silentLogger, followUpGraceMs: 0 });
  useApp({ settings: readSettings({ CHECKPOINT_STORE: 'memory' }), runtime, store, logger: silentLogger });
});
afterEach(() => useApp(undefined));

function context(name = 'test'): InvocationContext {
  return new InvocationContext({ invocationId: 'test-invocation', functionName: name, logHandler: () => {} });
}

function request(method: string, path: string, options: { body?: string; params?: Record<string, string>; headers?: Record<string, string> } = {}): HttpRequest {
  return new HttpRequest({
    method,
    url: `${BASE}/${path}`,
    ...(options.body !== undefined ? { body: { string: options.body } } : {}),
    params: options.params ?? {},
    headers: options.headers ?? {},
  });
}

function body(response: HttpResponseInit): any {
  return response.jsonBody;
}

async function start(workflow: string, payload: unknown): Promise<HttpResponseInit> {
  return startRun(request('POST', `workflows/${workflow}/runs`, { body: JSON.stringify(payload), params: { workflow } }), context());
}

async function expectError(response: HttpResponseInit, status: number, code?: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(body(response)).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  if (code) expect(body(response).error.code).toBe(code);
}

describe('HTTP handlers', () => {
  it('lists the shipped workflows with version and executors', async () => {
    const response = await listWorkflows(request('GET', 'workflows'), context());
    expect(response.status).toBe(200);
    const names = body(response).workflows.map((w: { name: string }) => w.name);
    expect(names).toEqual(['factor-pairs', 'approval', 'word-count']);
    expect(body(response).workflows[0]).toMatchObject({ version: '1', executors: ['start', 'worker'] });
  });

  it('starts a run with 202, Location, Retry-After and the run links, then completes it through the queue', async () => {
    const response = await start('factor-pairs', { input: 8, runId: 'run-8' });
    expect(response.status).toBe(202);
    expect(response.headers).toMatchObject({ Location: `${BASE}/runs/run-8`, 'Retry-After': '1' });
    expect(body(response)).toMatchObject({
      runId: 'run-8',
      status: 'Pending',
      statusUri: `${BASE}/runs/run-8`,
      checkpointsUri: `${BASE}/runs/run-8/checkpoints`,
      cancelUri: `${BASE}/runs/run-8/cancel`,
      respondUri: `${BASE}/runs/run-8/requests/{requestId}`,
    });
    await drainQueue(runtime, queue);
    const status = await getRun(request('GET', 'runs/run-8', { params: { runId: 'run-8' } }), context());
    expect(status.status).toBe(200);
    expect(body(status)).toMatchObject({ runId: 'run-8', workflow: 'factor-pairs', status: 'Completed', output: [[1, 8], [2, 4]], pendingRequests: [] });
  });

  it('answers an approval through the respond URI, and answering twice or after the end is refused', async () => {
    await start('approval', { input: { title: 'laptop', amount: 1200 }, runId: 'ap-1' });
    await drainQueue(runtime, queue);
    const waiting = body(await getRun(request('GET', 'runs/ap-1', { params: { runId: 'ap-1' } }), context()));
    expect(waiting.status).toBe('Waiting');
    const [pending] = waiting.pendingRequests;
    expect(pending.respondUri).toBe(`${BASE}/runs/ap-1/requests/${pending.requestId}`);
    const params = { runId: 'ap-1', requestId: pending.requestId };

    await expectError(await answerRequest(request('POST', 'x', { params, body: '{"approved":"yes"}' }), context()), 400);
    const answered = await answerRequest(request('POST', 'x', { params, body: '{"approved":true,"comment":"ok"}' }), context());
    expect(answered.status).toBe(202);
    await expectError(await answerRequest(request('POST', 'x', { params, body: '{"approved":true}' }), context()), 404);
    await drainQueue(runtime, queue);
    const done = body(await getRun(request('GET', 'runs/ap-1', { params: { runId: 'ap-1' } }), context()));
    expect(done).toMatchObject({ status: 'Completed', output: { approved: true, comment: 'ok', title: 'laptop', amount: 1200 } });
    await expectError(await answerRequest(request('POST', 'x', { params, body: '{"approved":true}' }), context()), 410);
    await expectError(await cancelRun(request('POST', 'x', { params: { runId: 'ap-1' } }), context()), 410);
  });

  it('cancels, forks and purges', async () => {
    await start('approval', { input: { title: 't', amount: 1 }, runId: 'c-1' });
    await drainQueue(runtime, queue);
    const cancelled = await cancelRun(request('POST', 'x', { params: { runId: 'c-1' }, body: '{"reason":"not needed"}' }), context());
    expect(cancelled.status).toBe(202);
    expect(body(cancelled)).toMatchObject({ status: 'Cancelled' });
    const cancelledStatus = body(await getRun(request('GET', 'x', { params: { runId: 'c-1' } }), context()));
    expect(cancelledStatus).toMatchObject({ status: 'Cancelled', pendingRequests: [] });

    const forked = await forkRun(request('POST', 'x', { params: { runId: 'c-1', step: '1' }, body: '{"runId":"c-2"}' }), context());
    expect(forked.status).toBe(202);
    expect(body(forked)).toMatchObject({ runId: 'c-2', forkedFrom: { runId: 'c-1', step: 1 } });
    const forkStatus = body(await getRun(request('GET', 'x', { params: { runId: 'c-2' } }), context()));
    expect(forkStatus.status).toBe('Waiting');
    expect(forkStatus.pendingRequests).toHaveLength(1);

    const list = body(await listCheckpoints(request('GET', 'runs/c-1/checkpoints?limit=1', { params: { runId: 'c-1' } }), context()));
    expect(list.items).toHaveLength(1);
    expect(list.items[0].step).toBe(2);
    expect(list.continuation).toEqual(expect.any(String));
    const one = await getCheckpoint(request('GET', 'x', { params: { runId: 'c-1', step: '0' } }), context());
    expect(body(one)).toMatchObject({ runId: 'c-1', step: 0, transition: 'start' });

    const purged = await purgeRun(request('DELETE', 'x', { params: { runId: 'c-1' } }), context());
    expect(purged.status).toBe(204);
    await expectError(await getRun(request('GET', 'x', { params: { runId: 'c-1' } }), context()), 404, 'RunNotFound');
    await expectError(await purgeRun(request('DELETE', 'x', { params: { runId: 'c-1' } }), context()), 404);
  });

  it('lists runs with filters and refuses bad query parameters', async () => {
    await start('factor-pairs', { input: 12, runId: 'l-1' });
    await drainQueue(runtime, queue);
    const list = body(await listRuns(request('GET', 'runs?workflow=factor-pairs&status=Completed&limit=10'), context()));
    expect(list.items.map((r: { runId: string }) => r.runId)).toEqual(['l-1']);
    await expectError(await listRuns(request('GET', 'runs?status=Done'), context()), 400);
    await expectError(await listRuns(request('GET', 'runs?limit=0'), context()), 400);
    await expectError(await listRuns(request('GET', 'runs?limit=abc'), context()), 400);
    await expectError(await listRuns(request('GET', 'runs?surprise=1'), context()), 400);
    await expectError(await listRuns(request('GET', 'runs?continuation=garbage'), context()), 400);
  });

  it('answers bad input with the documented 4xx and the JSON error shape', async () => {
    const startRaw = (payload: string, workflow = 'factor-pairs', headers: Record<string, string> = {}) =>
      startRun(request('POST', `workflows/${workflow}/runs`, { body: payload, params: { workflow }, headers }), context());
    await expectError(await startRaw('{not json'), 400, 'InvalidJson');
    await expectError(await startRaw(''), 400);
    await expectError(await startRaw('[1,2]'), 400);
    await expectError(await startRaw('{"input":"8"}'), 400, 'InvalidInput');
    await expectError(await startRaw('{"input":0}'), 400, 'InvalidInput');
    await expectError(await startRaw('{"input":8,"extra":true}'), 400);
    await expectError(await startRaw('{"input":8,"runId":"a/b"}'), 400);
    await expectError(await startRaw('{"input":8,"runId":""}'), 400);
    await expectError(await startRaw('{"input":8}', 'no-such-workflow'), 404, 'WorkflowNotFound');
    await expectError(await startRaw(JSON.stringify({ input: 'x'.repeat(MAX_BODY_BYTES) })), 413);
    await expectError(await startRaw('{"input":8}', 'factor-pairs', { 'content-length': String(MAX_BODY_BYTES + 1) }), 413);
    await start('factor-pairs', { input: 8, runId: 'dup' });
    await expectError(await start('factor-pairs', { input: 8, runId: 'dup' }), 409, 'RunExists');
    await expectError(await getRun(request('GET', 'x', { params: { runId: 'a?b' } }), context()), 400);
    await expectError(await getRun(request('GET', 'x', { params: { runId: 'x'.repeat(129) } }), context()), 400);
    await expectError(await getCheckpoint(request('GET', 'x', { params: { runId: 'dup', step: '-1' } }), context()), 400);
    await expectError(await getCheckpoint(request('GET', 'x', { params: { runId: 'dup', step: '1.5' } }), context()), 400);
    await expectError(await getCheckpoint(request('GET', 'x', { params: { runId: 'dup', step: '99' } }), context()), 404, 'CheckpointNotFound');
    await expectError(await answerRequest(request('POST', 'x', { params: { runId: 'nobody', requestId: 'r' }, body: '{}' }), context()), 404, 'RunNotFound');
    await expectError(await answerRequest(request('POST', 'x', { params: { runId: 'dup', requestId: 'r' } }), context()), 400);
  });
});

describe('queue handlers', () => {
  it('advances one superstep per message and drops malformed messages without throwing', async () => {
    await start('factor-pairs', { input: 8, runId: 'q-1' });
    await advanceRun({ runId: 'q-1', step: 0 }, context());
    expect((await runtime.context.store.latest('q-1'))?.step).toBe(1);
    await expect(advanceRun('not json', context())).resolves.toBeUndefined();
    await expect(advanceRun({ runId: 'a/b' }, context())).resolves.toBeUndefined();
    await expect(advanceRun({ runId: 'q-1', step: 'x' }, context())).resolves.toBeUndefined();
  });

  it('records a poisoned run as Failed with the reason', async () => {
    await start('approval', { input: { title: 't', amount: 1 }, runId: 'p-1' });
    await failPoisonedRun({ runId: 'p-1', step: 0 }, context());
    const latest = await runtime.context.store.latest('p-1');
    expect(latest?.status).toBe('Failed');
    expect(latest?.error).toMatchObject({ code: 'Poisoned', message: expect.stringContaining('poison') });
  });
});

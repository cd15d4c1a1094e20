import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/functions/http/request-body';
import { call, expectError, expectOneChain, factorPairsOf, finished, startHost, startServices, waitFor, type HostProcess, type Services } from './harness';

let services: Services;
let host: HostProcess;
let api: string;

beforeAll(async () => {
  services = await startServices('api');
  host = await startHost(services.env);
  api = host.api;
});

afterAll(async () => {
  await host?.stop();
  await services?.stop();
});

const start = (workflow: string, body: unknown) => call(api, 'POST', `workflows/${workflow}/runs`, body);

describe('the HTTP API over the local host, Azurite and the Cosmos protocol server', () => {
  it('runs factor-pairs to completion, one checkpoint per superstep', async () => {
    const n = 999_999_999_999;
    const started = await start('factor-pairs', { input: n, runId: 'fp-big' });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`${api}/runs/fp-big`);
    expect(started.headers.get('retry-after')).toBe('1');
    expect(started.body).toMatchObject({ runId: 'fp-big', status: 'Pending', statusUri: `${api}/runs/fp-big` });
    const done = await waitFor(api, 'fp-big', finished);
    expect(done).toMatchObject({ status: 'Completed', workflow: 'factor-pairs', output: factorPairsOf(n) });
    // start, 10 worker supersteps of 100,000 candidates, and the start executor's superstep
    expect(await expectOneChain(api, 'fp-big')).toBe(12);
  });

  it('runs word-count to completion through a fan-out and a fan-in barrier', async () => {
    const started = await start('word-count', { input: { documents: ['The cat sat', 'the CAT', "don't stop"] } });
    expect(started.status).toBe(202);
    const done = await waitFor(api, started.body.runId, finished);
    expect(done.output).toEqual({ cat: 2, "don't": 1, sat: 1, stop: 1, the: 2 });
  });

  it('waits for an approval, takes the answer, and refuses a second one', async () => {
    await start('approval', { input: { title: 'laptop', amount: 1800 }, runId: 'ap-yes' });
    const waiting = await waitFor(api, 'ap-yes', (s) => s.status === 'Waiting');
    const [request] = waiting.pendingRequests;
    expect(request).toMatchObject({ executor: 'ask', request: { title: 'laptop', amount: 1800 }, respondUri: `${api}/runs/ap-yes/requests/${request.requestId}` });
    const route = `runs/ap-yes/requests/${request.requestId}`;
    expectError(await call(api, 'POST', route, { approved: 'yes' }), 400);
    const answered = await call(api, 'POST', route, { approved: true, comment: 'ok' });
    expect(answered.status).toBe(202);
    expectError(await call(api, 'POST', route, { approved: false }), 404);
    const done = await waitFor(api, 'ap-yes', finished);
    expect(done).toMatchObject({ status: 'Completed', output: { approved: true, comment: 'ok', title: 'laptop', amount: 1800 }, pendingRequests: [] });
    expectError(await call(api, 'POST', route, { approved: false }), 410);
    expectError(await call(api, 'POST', 'runs/ap-yes/cancel'), 410);
  });

  it('rejects an approval on its own when nobody answers before the timeout', async () => {
    await start('approval', { input: { title: 'late', amount: 5, timeoutSeconds: 2 }, runId: 'ap-late' });
    const done = await waitFor(api, 'ap-late', finished, 20_000);
    expect(done).toMatchObject({ status: 'Completed', output: { approved: false, title: 'late', amount: 5 }, pendingRequests: [] });
  });

  it('cancels a waiting run, forks it from the waiting checkpoint, and purges it', async () => {
    await start('approval', { input: { title: 'fork me', amount: 1 }, runId: 'ap-src' });
    const waiting = await waitFor(api, 'ap-src', (s) => s.status === 'Waiting');
    const cancelled = await call(api, 'POST', 'runs/ap-src/cancel', { reason: 'changed my mind' });
    expect(cancelled.status).toBe(202);
    const afterCancel = await waitFor(api, 'ap-src', finished);
    expect(afterCancel).toMatchObject({ status: 'Cancelled', error: { message: 'changed my mind' } });

    const forked = await call(api, 'POST', `runs/ap-src/checkpoints/${waiting.step}/fork`, { runId: 'ap-fork' });
    expect(forked.status).toBe(202);
    expect(forked.body).toMatchObject({ runId: 'ap-fork', forkedFrom: { runId: 'ap-src', step: waiting.step } });
    const forkWaiting = await waitFor(api, 'ap-fork', (s) => s.status === 'Waiting');
    await call(api, 'POST', `runs/ap-fork/requests/${forkWaiting.pendingRequests[0].requestId}`, { approved: false, comment: 'no' });
    const forkDone = await waitFor(api, 'ap-fork', finished);
    expect(forkDone.output).toEqual({ approved: false, comment: 'no', title: 'fork me', amount: 1 });

    const purged = await call(api, 'DELETE', 'runs/ap-src');
    expect(purged.status).toBe(204);
    expectError(await call(api, 'GET', 'runs/ap-src'), 404);
    const runs = await call(api, 'GET', 'runs?workflow=approval&status=Completed');
    expect(runs.status).toBe(200);
    expect(runs.body.items.map((r: { runId: string }) => r.runId)).toContain('ap-fork');
  });

  it('answers bad input with the documented 4xx, never a 5xx', async () => {
    await start('factor-pairs', { input: 6, runId: 'taken' });
    const cases: Array<[Promise<Awaited<ReturnType<typeof call>>>, number]> = [
      [call(api, 'POST', 'workflows/factor-pairs/runs', undefined, '{"input": 8'), 400],
      [call(api, 'POST', 'workflows/factor-pairs/runs', undefined, ''), 400],
      [start('factor-pairs', { input: '8' }), 400],
      [start('factor-pairs', { input: 10 ** 12 + 1 }), 400],
      [start('approval', { input: { title: 'x', amount: -1 } }), 400],
      [start('word-count', { input: { documents: [] } }), 400],
      [start('no-such-workflow', { input: 1 }), 404],
      [start('factor-pairs', { input: 8, runId: 'bad id!' }), 400],
      [start('factor-pairs', { input: 8, runId: 'x'.repeat(129) }), 400],
      [start('factor-pairs', { input: 6, runId: 'taken' }), 409],
      [call(api, 'POST', 'workflows/factor-pairs/runs', undefined, JSON.stringify({ input: 'y'.repeat(MAX_BODY_BYTES) })), 413],
      [call(api, 'GET', 'runs/nobody-here'), 404],
      [call(api, 'GET', 'runs/a%3Fb'), 400],
      [call(api, 'GET', 'runs/taken/checkpoints/abc'), 400],
      [call(api, 'GET', 'runs/taken/checkpoints/999'), 404],
      [call(api, 'POST', 'runs/nobody-here/requests/r1', { approved: true }), 404],
      [call(api, 'POST', 'runs/nobody-here/cancel'), 404],
      [call(api, 'GET', 'runs?limit=5000'), 400],
      [call(api, 'PUT', 'runs/taken'), 405],
      [call(api, 'GET', 'no/such/route'), 404],
    ];
    for (const [pending, status] of cases) expectError(await pending, status);
  });
});

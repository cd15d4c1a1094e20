import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectOneChain, factorPairsCheckpoints, factorPairsOf, finished, sleep, startHost, startServices, waitFor, type HostProcess, type Services } from './harness';

let services: Services;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  services = await startServices('resilience');
});

afterAll(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
  await services?.stop();
});

async function host(): Promise<HostProcess> {
  const started = await startHost(services.env);
  hosts.push(started);
  return started;
}

describe('runs survive crashes, duplicate and concurrent deliveries', () => {
  it('resumes from the checkpoint after the host is killed mid-run and restarted', async () => {
    const first = await host();
    const n = 999_999_999_989;
    await call(first.api, 'POST', 'workflows/factor-pairs/runs', { input: n, runId: 'crash-1' });
    await waitFor(first.api, 'crash-1', (s) => s.step >= 2);
    first.child.kill('SIGKILL');
    await first.stop();
    const second = await host();
    const done = await waitFor(second.api, 'crash-1', finished, 60_000);
    expect(done).toMatchObject({ status: 'Completed', output: factorPairsOf(n) });
    expect(await expectOneChain(second.api, 'crash-1')).toBe(factorPairsCheckpoints(n));
    await second.stop();
  });

  it('never forks a run when every message is delivered twice, to two hosts at once', async () => {
    const [a, b] = await Promise.all([host(), host()]);
    const queue = new QueueClient(services.azurite.connectionString, services.env.STEP_QUEUE!);
    const send = (message: object) => queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    const n = 600_851_475_143;
    const clean = factorPairsOf(n);
    await call(a.api, 'POST', 'workflows/factor-pairs/runs', { input: n, runId: 'dup-1' });
    // Duplicate every step's message, twice, while both hosts consume the queue.
    let sentFor = -1;
    for (let i = 0; i < 600; i++) {
      const status = (await call(b.api, 'GET', 'runs/dup-1')).body;
      if (status.step > sentFor) {
        for (let step = sentFor + 1; step <= status.step; step++) await Promise.all([send({ runId: 'dup-1', step }), send({ runId: 'dup-1', step })]);
        sentFor = status.step;
      }
      if (finished(status)) break;
      await sleep(20);
    }
    const done = await waitFor(a.api, 'dup-1', finished);
    expect(done).toMatchObject({ status: 'Completed', output: clean });
    expect(await expectOneChain(a.api, 'dup-1')).toBe(factorPairsCheckpoints(n));
    // Stale duplicates keep arriving after the end; they must change nothing.
    await sleep(2_000);
    expect(await expectOneChain(b.api, 'dup-1')).toBe(factorPairsCheckpoints(n));
    expect((await call(b.api, 'GET', 'runs/dup-1')).body.output).toEqual(clean);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('ends a run Failed, with executor, input and error, when its executor throws on every attempt', async () => {
    const h = await host();
    await call(h.api, 'POST', 'workflows/always-fails/runs', { input: { n: 1 }, runId: 'fails-1' });
    const done = await waitFor(h.api, 'fails-1', finished, 30_000);
    expect(done).toMatchObject({
      status: 'Failed',
      error: { executor: 'boom', attempts: 3, message: 'boom: this executor always fails', input: { n: 1 } },
    });
    await h.stop();
  });
});

import { randomUUID } from 'node:crypto';
import { CosmosClient, type Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/engine/checkpoint';
import { CosmosCheckpointStore } from '../../src/checkpoints/cosmos-store';
import { CheckpointConflictError, InvalidCheckpointArgumentError } from '../../src/checkpoints/errors';
import type { Page, RunSummary } from '../../src/checkpoints/store';
import { makeCheckpoint, uniqueRunId } from '../support/checkpoints';
import { LOCAL_CONNECTION_POLICY, startCosmosServer, startFaultProxy, type LocalCosmosServer, type RecordedRequest } from '../support/cosmos-server';

const TTL = 600;
const at = (minute: number): string => new Date(Date.UTC(2032, 0, 1, 0, minute)).toISOString();

let server: LocalCosmosServer;
let client: CosmosClient;
let raw: Container;
let store: CosmosCheckpointStore;

beforeAll(async () => {
  server = await startCosmosServer();
  client = new CosmosClient({ endpoint: server.endpoint, key: server.key, connectionPolicy: { ...LOCAL_CONNECTION_POLICY } });
  store = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'runs', ttlSeconds: TTL, clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY } });
  await store.listIds('warm-up');
  raw = client.database('runs').container('checkpoints');
});

afterAll(async () => {
  await store?.close();
  client?.dispose();
  await server?.stop();
});

async function runDocument(runId: string): Promise<Record<string, unknown> | undefined> {
  return (await raw.item('run', runId).read()).resource as Record<string, unknown> | undefined;
}

/** Saves checkpoints 0..n-1 of a new run, written at the given minutes with the given statuses. */
async function saveRun(workflow: string, history: Array<[minute: number, status: RunStatus]>): Promise<string> {
  const runId = uniqueRunId();
  for (const [step, [minute, status]] of history.entries()) {
    await store.save(makeCheckpoint(runId, step, { workflow, status, createdAt: at(minute), runCreatedAt: at(history[0]![0]) }));
  }
  return runId;
}

async function requestsDuring(action: () => Promise<unknown>): Promise<RecordedRequest[]> {
  const before = server.requests.length;
  await action();
  return server.requests.slice(before);
}

const isQueryFor = (fragment: string) => (request: RecordedRequest): boolean =>
  request.headers['x-ms-documentdb-isquery'] === 'true' && request.body.includes(fragment);

describe('Cosmos run documents', () => {
  it('creates the run document with the start, before the first checkpoint, without a TTL while the run is active', async () => {
    const runId = uniqueRunId();

    const requests = await requestsDuring(() => store.save(makeCheckpoint(runId, 0, { workflow: 'w', createdAt: at(1), runCreatedAt: at(1) })));

    expect(requests.map((request) => request.method)).toEqual(['POST', 'POST']);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ id: 'run', kind: 'run' });
    expect(JSON.parse(requests[1]!.body)).toMatchObject({ id: '0000000000', kind: 'checkpoint', ttl: TTL });
    const document = await runDocument(runId);
    expect(document).toMatchObject({ runId, workflow: 'w', status: 'Running', step: 0, createdAt: at(1), updatedAt: at(1) });
    expect(document).not.toHaveProperty('ttl');
  });

  it('leaves the run document alone during supersteps and makes it final, with the TTL, when the run ends', async () => {
    const runId = await saveRun('w', [[1, 'Running'], [2, 'Running']]);
    expect(await runDocument(runId)).toMatchObject({ status: 'Running', step: 0, updatedAt: at(1) });

    const result = await store.save(makeCheckpoint(runId, 2, { workflow: 'w', status: 'Completed', createdAt: at(3), runCreatedAt: at(1) }));

    expect(result.requestCharge).toBe(2);
    expect(await runDocument(runId)).toMatchObject({ status: 'Completed', step: 2, createdAt: at(1), updatedAt: at(3), ttl: TTL });
  });

  it('still reports a save as done when only the run document update after it failed', async () => {
    const proxy = await startFaultProxy(server.endpoint, ({ headers }) => (headers['x-ms-documentdb-is-upsert'] === 'true' ? { status: 503 } : undefined));
    const flaky = new CosmosCheckpointStore({ endpoint: proxy.endpoint, key: server.key, databaseId: 'runs', createIfMissing: false, ttlSeconds: TTL, clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY } });
    try {
      const workflow = `flaky-${randomUUID()}`;
      const runId = uniqueRunId();
      await flaky.save(makeCheckpoint(runId, 0, { workflow, createdAt: at(1), runCreatedAt: at(1) }));

      const result = await flaky.save(makeCheckpoint(runId, 1, { workflow, status: 'Completed', createdAt: at(2), runCreatedAt: at(1) }));

      expect(result.requestCharge).toBe(1);
      expect(proxy.faults).toBeGreaterThan(0);
      expect(await runDocument(runId)).toMatchObject({ status: 'Running' });
      expect((await store.listRuns({ workflow })).items).toMatchObject([{ runId, status: 'Completed', step: 1 }]);
      expect(await runDocument(runId)).toMatchObject({ status: 'Completed' });
    } finally {
      await flaky.close();
      await proxy.stop();
    }
  });

  it('records a run that fails at its start as failed', async () => {
    const runId = uniqueRunId();
    await store.save(makeCheckpoint(runId, 0, { status: 'Failed', error: { message: 'bad input' } }));
    expect(await runDocument(runId)).toMatchObject({ status: 'Failed', step: 0 });
  });

  it('keeps the first run document when a start is repeated, and the repeat conflicts', async () => {
    const runId = uniqueRunId();
    await store.save(makeCheckpoint(runId, 0, { workflow: 'first', createdAt: at(1), runCreatedAt: at(1) }));

    await expect(store.save(makeCheckpoint(runId, 0, { workflow: 'second', createdAt: at(2), runCreatedAt: at(2) }))).rejects.toBeInstanceOf(CheckpointConflictError);

    expect(await runDocument(runId)).toMatchObject({ workflow: 'first', createdAt: at(1) });
  });

  it('removes the run document with the run, counting only checkpoints', async () => {
    const workflow = `purge-${randomUUID()}`;
    const runId = await saveRun(workflow, [[1, 'Running'], [2, 'Completed']]);

    expect(await store.deleteRun(runId)).toBe(2);

    expect(await runDocument(runId)).toBeUndefined();
    expect((await store.listRuns({ workflow })).items).toEqual([]);
  });
});

describe('Cosmos listRuns', () => {
  it('reads the latest checkpoint of active runs only', async () => {
    const workflow = `reads-${randomUUID()}`;
    await saveRun(workflow, [[1, 'Running'], [2, 'Completed']]);
    await saveRun(workflow, [[3, 'Running'], [4, 'Cancelled']]);
    const active = await saveRun(workflow, [[5, 'Running'], [6, 'Waiting']]);

    let page: Page<RunSummary> | undefined;
    const requests = await requestsDuring(async () => (page = await store.listRuns({ workflow })));

    expect(page!.items.map((run) => [run.status, run.step])).toEqual([['Waiting', 1], ['Cancelled', 1], ['Completed', 1]]);
    const latestReads = requests.filter(isQueryFor('SELECT TOP 1 c.runId'));
    expect(latestReads.every((request) => JSON.parse(String(request.headers['x-ms-documentdb-partitionkey'])).includes(active))).toBe(true);
    expect(latestReads).toHaveLength(1);
  });

  it('finds stalled running runs for the sweeper by their latest checkpoint, not by when they started', async () => {
    const workflow = `sweep-${randomUUID()}`;
    const stalled = await saveRun(workflow, [[1, 'Running'], [2, 'Running']]);
    await saveRun(workflow, [[1, 'Running'], [50, 'Running']]); // started early, still moving
    await saveRun(workflow, [[1, 'Running'], [3, 'Waiting']]); // waiting for a person, not stalled
    await saveRun(workflow, [[1, 'Running'], [4, 'Completed']]);

    const page = await store.listRuns({ workflow, status: 'Running', updatedBefore: at(30) });

    expect(page.items).toEqual([{ runId: stalled, workflow, status: 'Running', step: 1, createdAt: at(1), updatedAt: at(2) }]);
  });

  it('repairs a run document left active by a crash after the final checkpoint was saved', async () => {
    const workflow = `crash-${randomUUID()}`;
    const runId = await saveRun(workflow, [[1, 'Running']]);
    // The final checkpoint got written, the process died before the run document was updated.
    await raw.items.create({ ...makeCheckpoint(runId, 1, { workflow, status: 'Completed', createdAt: at(2), runCreatedAt: at(1) }), id: '0000000001', kind: 'checkpoint' });

    expect((await store.listRuns({ workflow, status: 'Running' })).items).toEqual([]);
    expect((await store.listRuns({ workflow, status: 'Completed' })).items.map((run) => run.runId)).toEqual([runId]);

    expect(await runDocument(runId)).toMatchObject({ status: 'Completed', step: 1, updatedAt: at(2), ttl: TTL });
  });

  it('does not list a run whose start crashed before its first checkpoint', async () => {
    const workflow = `orphan-${randomUUID()}`;
    const orphan = uniqueRunId();
    await raw.items.create({ id: 'run', kind: 'run', runId: orphan, workflow, status: 'Running', step: 0, createdAt: at(1), updatedAt: at(1) });
    const real = await saveRun(workflow, [[1, 'Running']]);

    expect((await store.listRuns({ workflow })).items.map((run) => run.runId)).toEqual([real]);
  });

  it('fills every page up to the limit though active runs are filtered after the query', async () => {
    const workflow = `fill-${randomUUID()}`;
    const running: string[] = [];
    for (let minute = 1; minute <= 6; minute++) {
      running.push(await saveRun(workflow, [[minute, 'Running']]));
      await saveRun(workflow, [[minute, 'Running'], [minute + 10, 'Waiting']]);
    }

    const first = await store.listRuns({ workflow, status: 'Running', limit: 4 });
    const second = await store.listRuns({ workflow, status: 'Running', limit: 4, continuation: first.continuation! });

    expect(first.items).toHaveLength(4);
    expect([...first.items, ...second.items].map((run) => run.runId)).toEqual([...running].reverse());
  });

  it('refuses a continuation made for other filters', async () => {
    const workflow = `token-${randomUUID()}`;
    for (let minute = 1; minute <= 3; minute++) await saveRun(workflow, [[minute, 'Running']]);
    const { continuation } = await store.listRuns({ workflow, limit: 1 });
    expect(continuation).toBeDefined();

    await expect(store.listRuns({ workflow, status: 'Waiting', limit: 1, continuation: continuation! })).rejects.toThrow(InvalidCheckpointArgumentError);
    await expect(store.listRuns({ workflow, status: 'Waiting', limit: 1, continuation: continuation! })).rejects.toThrow(/other filters/);
    expect((await store.listRuns({ workflow, limit: 1, continuation: continuation! })).items).toHaveLength(1);
  });
});

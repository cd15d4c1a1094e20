import { CosmosClient, type Container } from '@azure/cosmos';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INDEXED_PATHS, INDEXING_POLICY, MAX_ITEM_BYTES, PARTITION_KEY_PATH } from '../../src/checkpoints/cosmos-layout';
import { CosmosCheckpointStore, type CosmosCheckpointStoreOptions } from '../../src/checkpoints/cosmos-store';
import { CheckpointStoreError, CheckpointTooLargeError, InvalidCheckpointArgumentError } from '../../src/checkpoints/errors';
import type { RunStatus } from '../../src/engine/checkpoint';
import { makeCheckpoint, uniqueRunId } from '../support/checkpoints';
import { LOCAL_CONNECTION_POLICY, startCosmosServer, type LocalCosmosServer, type RecordedRequest } from '../support/cosmos-server';

let server: LocalCosmosServer;
let client: CosmosClient;
const stores: CosmosCheckpointStore[] = [];

beforeAll(async () => {
  server = await startCosmosServer();
  client = new CosmosClient({ endpoint: server.endpoint, key: server.key, connectionPolicy: { ...LOCAL_CONNECTION_POLICY } });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  client?.dispose();
  await server?.stop();
});

function openStore(options: Partial<CosmosCheckpointStoreOptions> = {}): CosmosCheckpointStore {
  const store = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'requests', clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY }, ...options });
  stores.push(store);
  return store;
}

/** The raw container, to look at documents as stored. */
function rawContainer(databaseId = 'requests', containerId = 'checkpoints'): Container {
  return client.database(databaseId).container(containerId);
}

/** Requests made while `action` ran. */
async function requestsDuring(action: () => Promise<unknown>): Promise<RecordedRequest[]> {
  const before = server.requests.length;
  await action();
  return server.requests.slice(before);
}

const isQuery = (request: RecordedRequest): boolean => request.headers['x-ms-documentdb-isquery'] === 'True' || request.headers['content-type'] === 'application/query+json';
/** The SDK may first ask the gateway for a query plan; that request is not scoped to a partition. */
const isQueryPlan = (request: RecordedRequest): boolean => request.headers['x-ms-cosmos-is-query-plan-request'] === 'True';
const queryText = (request: RecordedRequest): string => (JSON.parse(request.body) as { query: string }).query;

describe('Cosmos container definition', () => {
  it('creates database and container with the run partition key, the indexing policy and TTL on without expiry', async () => {
    const store = openStore({ databaseId: 'fresh-db', containerId: 'fresh-container' });

    const requests = await requestsDuring(() => store.listIds(uniqueRunId()));

    const { resource } = await rawContainer('fresh-db', 'fresh-container').read();
    expect(resource?.partitionKey?.paths).toEqual([PARTITION_KEY_PATH]);
    expect(resource?.defaultTtl).toBe(-1);
    expect(resource?.indexingPolicy).toEqual(INDEXING_POLICY);
    expect(resource?.indexingPolicy?.includedPaths?.map(({ path }) => path)).toEqual([...INDEXED_PATHS]);
    expect(resource?.indexingPolicy?.excludedPaths).toContainEqual({ path: '/*' });
    const created = requests.find((request) => request.method === 'POST' && request.path.endsWith('/colls'));
    expect(JSON.parse(created!.body)).toMatchObject({ id: 'fresh-container', partitionKey: { paths: ['/runId'] }, defaultTtl: -1 });
  });

  it('creates nothing and sends only the operation itself when creation is off', async () => {
    openStore(); // the container exists already
    await openStore().listIds('warm-up');
    const store = openStore({ createIfMissing: false });

    const requests = await requestsDuring(() => store.load(uniqueRunId(), 0).catch(() => undefined));

    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual([expect.stringMatching(/^GET \/dbs\/requests\/colls\/checkpoints\/docs\/0000000000$/)]);
  });

  it('refuses a container partitioned by anything but the run id', async () => {
    await client.databases.createIfNotExists({ id: 'wrong' });
    await client.database('wrong').containers.createIfNotExists({ id: 'by-workflow', partitionKey: { paths: ['/workflow'] } });
    const store = openStore({ databaseId: 'wrong', containerId: 'by-workflow' });

    await expect(store.latest(uniqueRunId())).rejects.toThrow(/partitioned by \["\/workflow"\].*need the partition key \/runId/);
  });

  it('refuses a TTL when the container has TTL off, where items would never expire', async () => {
    await client.databases.createIfNotExists({ id: 'wrong' });
    await client.database('wrong').containers.createIfNotExists({ id: 'no-ttl', partitionKey: { paths: ['/runId'] } });
    const store = openStore({ databaseId: 'wrong', containerId: 'no-ttl', ttlSeconds: 60 });

    await expect(store.latest(uniqueRunId())).rejects.toThrow(CheckpointStoreError);
    await expect(store.latest(uniqueRunId())).rejects.toThrow(/CHECKPOINT_TTL_SECONDS is set but container 'no-ttl' has TTL off/);
  });
});

describe('Cosmos documents', () => {
  it('stores a checkpoint under its zero-padded step, in its run partition, with kind and no TTL by default', async () => {
    const store = openStore();
    const checkpoint = makeCheckpoint(uniqueRunId(), 42);

    await store.save(checkpoint);

    const { resource } = await rawContainer().item('0000000042', checkpoint.runId).read();
    expect(resource).toMatchObject({ ...checkpoint, id: '0000000042', kind: 'checkpoint' });
    expect(resource).not.toHaveProperty('ttl');
  });

  it('gives every checkpoint the configured TTL, and leaves it out of what load returns', async () => {
    const store = openStore({ ttlSeconds: 3600 });
    const checkpoint = makeCheckpoint(uniqueRunId(), 1);

    await store.save(checkpoint);

    expect((await rawContainer().item('0000000001', checkpoint.runId).read()).resource).toMatchObject({ ttl: 3600 });
    expect(await store.load(checkpoint.runId, 1)).toStrictEqual(checkpoint);
    expect(await store.latest(checkpoint.runId)).toStrictEqual(checkpoint);
  });

  it('refuses a document over the item limit before any request, naming run, step and size', async () => {
    const store = openStore();
    await store.listIds('warm-up');
    const runId = uniqueRunId();
    const checkpoint = makeCheckpoint(runId, 7, { state: { blob: 'x'.repeat(MAX_ITEM_BYTES) } });

    let error: unknown;
    const requests = await requestsDuring(() => store.save(checkpoint).catch((caught: unknown) => (error = caught)));

    expect(error).toBeInstanceOf(CheckpointTooLargeError);
    expect(error).toMatchObject({ runId, step: 7, limit: MAX_ITEM_BYTES });
    const bytes = (error as CheckpointTooLargeError).bytes;
    expect(bytes).toBeGreaterThan(MAX_ITEM_BYTES);
    expect((error as Error).message).toContain(runId);
    expect((error as Error).message).toContain(`checkpoint 7`);
    expect((error as Error).message).toContain(String(bytes));
    expect(requests).toEqual([]);
  });

  it('measures the whole stored document, multi-byte characters included, and accepts one at the limit', async () => {
    const store = openStore();
    const runId = uniqueRunId();
    const base = makeCheckpoint(runId, 1, { state: { blob: '' } });
    const overhead = Buffer.byteLength(JSON.stringify({ ...base, id: '0000000001', kind: 'checkpoint' }), 'utf8');
    const room = MAX_ITEM_BYTES - overhead;
    const atLimit = makeCheckpoint(runId, 1, { state: { blob: 'é'.repeat(room / 2) + 'x'.repeat(room % 2) } });
    const overLimit = makeCheckpoint(runId, 2, { state: { blob: 'é'.repeat(room / 2 + 1) } });

    expect((await store.save(atLimit)).bytes).toBe(MAX_ITEM_BYTES);
    await expect(store.save(overLimit)).rejects.toBeInstanceOf(CheckpointTooLargeError);
  });

  it('checks every argument before any request, even the first one', async () => {
    const store = openStore({ databaseId: 'never-created' });

    const requests = await requestsDuring(async () => {
      await expect(store.load('bad/id', 0)).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.save(makeCheckpoint('bad#id', 0))).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.delete('ok', -1)).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.listRuns({ limit: 0 })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.listRuns({ status: 'Sleeping' as RunStatus })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.listRuns({ continuation: 'not-ours' })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.list('ok', { continuation: 'not-ours' })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
    });

    expect(requests).toEqual([]);
  });
});

describe('Cosmos requests', () => {
  let store: CosmosCheckpointStore;
  let runId: string;

  beforeEach(async () => {
    store = openStore();
    runId = uniqueRunId();
    for (let step = 0; step < 5; step++) await store.save(makeCheckpoint(runId, step));
  });

  it('loads with one point read by id and partition key, and reports its charge', async () => {
    const charges: number[] = [];

    const requests = await requestsDuring(() => store.load(runId, 3, { onCharge: (charge) => charges.push(charge) }));

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/dbs/requests/colls/checkpoints/docs/0000000003' });
    expect(JSON.parse(String(requests[0]!.headers['x-ms-documentdb-partitionkey']))).toEqual([runId]);
    expect(charges).toEqual([1]);
  });

  it('saves a superstep with exactly one create, never an upsert, and returns its size and charge', async () => {
    const checkpoint = makeCheckpoint(runId, 5);
    let result;

    const requests = await requestsDuring(async () => (result = await store.save(checkpoint)));

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/dbs/requests/colls/checkpoints/docs' });
    expect(requests[0]!.headers['x-ms-documentdb-is-upsert']).toBeUndefined();
    expect(result).toEqual({ bytes: Buffer.byteLength(requests[0]!.body, 'utf8'), requestCharge: 1 });
  });

  it('finds the latest with TOP 1 ordered by step inside the run partition', async () => {
    const requests = await requestsDuring(() => store.latest(runId));

    const queries = requests.filter((request) => isQuery(request) && !isQueryPlan(request));
    expect(queries.map(queryText)).toEqual(['SELECT TOP 1 * FROM c WHERE c.runId = @runId AND c.kind = @kind ORDER BY c.step DESC']);
    for (const query of queries) expect(JSON.parse(String(query.headers['x-ms-documentdb-partitionkey']))).toEqual([runId]);
  });

  it('never sends OFFSET or LIMIT, and filters and sorts only on indexed paths', async () => {
    const requests = await requestsDuring(async () => {
      await store.latest(runId);
      const first = await store.list(runId, { limit: 2 });
      await store.list(runId, { limit: 2, continuation: first.continuation! });
      await store.listIds(runId);
      await store.listRuns({ status: 'Running', updatedBefore: new Date().toISOString(), workflow: 'fixture-workflow', limit: 5 });
      await store.deleteRun(runId);
    });

    const texts = requests.filter(isQuery).map(queryText);
    expect(texts.length).toBeGreaterThanOrEqual(6);
    for (const text of texts) {
      expect(text).not.toMatch(/\b(OFFSET|LIMIT)\b/i);
      const clauses = text.slice(text.indexOf(' WHERE ') + 1);
      for (const [, field] of clauses.matchAll(/\bc\.(\w+)/g)) expect(INDEXED_PATHS, `${field} in: ${text}`).toContain(`/${field}/?`);
    }
  });

  it('lists a page with one query for one more than the page, below the cursor step', async () => {
    const first = await store.list(runId, { limit: 2 });

    const requests = await requestsDuring(() => store.list(runId, { limit: 2, continuation: first.continuation! }));

    const [query] = requests.filter((request) => isQuery(request) && !isQueryPlan(request));
    expect(JSON.parse(query!.body)).toEqual({
      query: 'SELECT TOP 3 c.runId, c.step, c.status, c.transition, c.createdAt, c.workflow, c.metrics FROM c WHERE c.runId = @runId AND c.kind = @kind AND c.step < @before ORDER BY c.step DESC',
      parameters: [
        { name: '@runId', value: runId },
        { name: '@kind', value: 'checkpoint' },
        { name: '@before', value: 3 },
      ],
    });
  });
});

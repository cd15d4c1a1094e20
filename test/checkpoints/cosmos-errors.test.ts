import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CosmosCheckpointStore, type CosmosCheckpointStoreOptions } from '../../src/checkpoints/cosmos-store';
import {
  CheckpointNotFoundError,
  CheckpointStoreError,
  CheckpointTooLargeError,
  TransientStoreError,
} from '../../src/checkpoints/errors';
import { makeCheckpoint, uniqueRunId } from '../support/checkpoints';
import { LOCAL_CONNECTION_POLICY, startCosmosServer, startFaultProxy, type FaultProxy, type FaultResponse, type LocalCosmosServer } from '../support/cosmos-server';

const DOCS = /\/docs(\/|$)/;

let server: LocalCosmosServer;
const stores: CosmosCheckpointStore[] = [];
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  server = await startCosmosServer();
  // Create the container once, straight through, so the tests below only fault item requests.
  const setup = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'errors', clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY } });
  await setup.listIds('setup');
  await setup.close();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

afterAll(async () => {
  await server?.stop();
});

function storeAt(endpoint: string, options: Partial<CosmosCheckpointStoreOptions> = {}): CosmosCheckpointStore {
  const store = new CosmosCheckpointStore({
    endpoint,
    key: server.key,
    databaseId: 'errors',
    createIfMissing: false,
    clientOptions: { connectionPolicy: { ...LOCAL_CONNECTION_POLICY, retryOptions: { maxRetryAttemptCount: 0 } } },
    ...options,
  });
  stores.push(store);
  return store;
}

/** A store behind a proxy that answers every item request with `fault`. */
async function storeBehindFault(fault: FaultResponse, options: Partial<CosmosCheckpointStoreOptions> = {}): Promise<{ store: CosmosCheckpointStore; proxy: FaultProxy }> {
  const proxy = await startFaultProxy(server.endpoint, ({ path }) => (DOCS.test(path) ? fault : undefined));
  proxies.push(proxy);
  return { store: storeAt(proxy.endpoint, options), proxy };
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('Cosmos store error mapping', () => {
  it('reports an unreachable account as a retryable TransientStoreError', async () => {
    const store = storeAt(`http://127.0.0.1:${await closedPort()}/`);

    const load = store.load(uniqueRunId(), 0);

    await expect(load).rejects.toBeInstanceOf(TransientStoreError);
    await expect(load).rejects.toMatchObject({ retryable: true });
    await expect(load).rejects.toThrow(/ECONNREFUSED/);
  });

  it('surfaces throttling (429) that outlasts the SDK retries as TransientStoreError with the retry-after', async () => {
    const { store, proxy } = await storeBehindFault({ status: 429, headers: { 'x-ms-retry-after-ms': '250' } });

    const save = store.save(makeCheckpoint(uniqueRunId(), 1));

    await expect(save).rejects.toBeInstanceOf(TransientStoreError);
    await expect(save).rejects.toMatchObject({ retryable: true, retryAfterMs: 250 });
    await expect(save).rejects.toThrow(/429/);
    expect(proxy.faults).toBeGreaterThan(0);
  });

  it('lets the SDK retry throttling first, as configured', async () => {
    const { store, proxy } = await storeBehindFault(
      { status: 429, headers: { 'x-ms-retry-after-ms': '1' } },
      { clientOptions: { connectionPolicy: { ...LOCAL_CONNECTION_POLICY, retryOptions: { maxRetryAttemptCount: 3 } } } },
    );

    await expect(store.load(uniqueRunId(), 0)).rejects.toBeInstanceOf(TransientStoreError);

    expect(proxy.faults).toBe(4);
  });

  it.each([503, 408, 449, 500])('maps status %i to TransientStoreError', async (status) => {
    const { store } = await storeBehindFault({ status });
    await expect(store.save(makeCheckpoint(uniqueRunId(), 1))).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('maps a missing container (404, sub-status 1003) to an error that says so, never to not-found', async () => {
    const { store } = await storeBehindFault({ status: 404, headers: { 'x-ms-substatus': '1003' } });

    const load = store.load(uniqueRunId(), 0);

    await expect(load).rejects.toBeInstanceOf(CheckpointStoreError);
    await expect(load).rejects.not.toBeInstanceOf(CheckpointNotFoundError);
    await expect(load).rejects.toThrow(/container 'checkpoints' of database 'errors' does not exist/);
    await expect(store.delete(uniqueRunId(), 0)).rejects.toThrow(/does not exist/);
  });

  it('maps a plain 404 on a point read to CheckpointNotFoundError', async () => {
    const { store } = await storeBehindFault({ status: 404 });
    await expect(store.load(uniqueRunId(), 3)).rejects.toBeInstanceOf(CheckpointNotFoundError);
  });

  it('maps 413 on a save to CheckpointTooLargeError naming run and step', async () => {
    const { store } = await storeBehindFault({ status: 413 });
    const runId = uniqueRunId();

    const save = store.save(makeCheckpoint(runId, 5));

    await expect(save).rejects.toBeInstanceOf(CheckpointTooLargeError);
    await expect(save).rejects.toMatchObject({ runId, step: 5 });
  });

  it('explains a 403 with the data role to grant', async () => {
    const { store } = await storeBehindFault({ status: 403, body: { code: 'Forbidden', message: 'Request blocked by Auth' } });

    const load = store.load(uniqueRunId(), 0);

    await expect(load).rejects.toBeInstanceOf(CheckpointStoreError);
    await expect(load).rejects.not.toBeInstanceOf(TransientStoreError);
    await expect(load).rejects.toThrow(/403.*Cosmos DB Built-in Data Contributor/);
  });

  it('wraps any other failure in CheckpointStoreError with the status code, keeping the cause', async () => {
    const { store } = await storeBehindFault({ status: 400, body: { code: 'BadRequest', message: 'One of the specified inputs is invalid' } });

    const error = await store.load(uniqueRunId(), 0).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CheckpointStoreError);
    expect(error).not.toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toMatch(/status 400.*One of the specified inputs is invalid/);
    expect((error as Error).cause).toBeDefined();
  });

  it('tries to create the container again on the next call after a transient failure', async () => {
    let failures = 1;
    const proxy = await startFaultProxy(server.endpoint, ({ path }) => (path.startsWith('/dbs') && failures-- > 0 ? { status: 503 } : undefined));
    proxies.push(proxy);
    const store = storeAt(proxy.endpoint, { createIfMissing: true });
    const runId = uniqueRunId();

    await expect(store.listIds(runId)).rejects.toBeInstanceOf(TransientStoreError);
    expect(await store.listIds(runId)).toEqual([]);
  });
});

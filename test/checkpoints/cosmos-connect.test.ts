import { CosmosClient } from '@azure/cosmos';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CosmosCheckpointStore } from '../../src/checkpoints/cosmos-store';
import { CheckpointStoreError } from '../../src/checkpoints/errors';
import { makeCheckpoint, uniqueRunId } from '../support/checkpoints';
import { LOCAL_CONNECTION_POLICY, startCosmosServer, type LocalCosmosServer } from '../support/cosmos-server';

/** A credential that always hands out the same token, and remembers the scopes it was asked for. */
class FixedTokenCredential implements TokenCredential {
  readonly scopes: string[][] = [];
  constructor(readonly token: string) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push(Array.isArray(scopes) ? scopes : [scopes]);
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

const clientOptions = { connectionPolicy: LOCAL_CONNECTION_POLICY };

/** Saves step 0 and reads it back: proof the store reaches the server with the mode under test. */
async function roundTrip(store: CosmosCheckpointStore): Promise<void> {
  const checkpoint = makeCheckpoint(uniqueRunId(), 0);
  await store.save(checkpoint);
  expect(await store.load(checkpoint.runId, 0)).toStrictEqual(checkpoint);
}

describe('Cosmos store connection modes', () => {
  let server: LocalCosmosServer;

  beforeAll(async () => {
    server = await startCosmosServer();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('connects with an endpoint and a key, signing requests with the key', async () => {
    await using store = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'modes', clientOptions });
    server.requests.length = 0;

    await roundTrip(store);

    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) expect(decodeURIComponent(String(request.headers.authorization))).toMatch(/^type=master&ver=1\.0&sig=/);
  });

  it('connects with a connection string', async () => {
    const connectionString = `AccountEndpoint=${server.endpoint};AccountKey=${server.key};`;
    await using store = new CosmosCheckpointStore({ connectionString, databaseId: 'modes', clientOptions });
    await roundTrip(store);
  });

  it('makes no request until the first operation', async () => {
    server.requests.length = 0;
    const store = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'lazy', clientOptions });
    const identityStore = new CosmosCheckpointStore({ endpoint: server.endpoint, databaseId: 'lazy', clientOptions });
    await store.close();
    await identityStore.close();
    expect(server.requests).toEqual([]);
  });

  it('uses a client, a database or a container handed in, and never closes it', async () => {
    const dispose = vi.spyOn(CosmosClient.prototype, 'dispose');
    const client = new CosmosClient({ endpoint: server.endpoint, key: server.key, connectionPolicy: { ...LOCAL_CONNECTION_POLICY } });
    const database = client.database('handed-in');
    const stores = [
      new CosmosCheckpointStore({ client, databaseId: 'handed-in' }),
      new CosmosCheckpointStore({ database }),
      new CosmosCheckpointStore({ container: database.container('checkpoints') }),
    ];

    for (const store of stores) {
      expect(store.ownsClient).toBe(false);
      await roundTrip(store);
      await store.close();
    }

    expect(dispose).not.toHaveBeenCalled();
    // The client still works after every store on it closed.
    expect((await database.container('checkpoints').read()).statusCode).toBe(200);
    client.dispose();
  });

  it('disposes a client it made itself on close and on asyncDispose, once', async () => {
    const dispose = vi.spyOn(CosmosClient.prototype, 'dispose');
    const store = new CosmosCheckpointStore({ endpoint: server.endpoint, key: server.key, databaseId: 'modes', clientOptions });
    expect(store.ownsClient).toBe(true);
    await roundTrip(store);

    await store.close();
    await store[Symbol.asyncDispose]();

    expect(dispose).toHaveBeenCalledTimes(1);
    await expect(store.load('any-run', 0)).rejects.toThrow(CheckpointStoreError);
    await expect(store.load('any-run', 0)).rejects.toThrow(/closed/);
  });

  it('signs in with a token credential, sending its token for the account scope', async () => {
    // The SDK refuses bearer tokens over plain HTTP, so this test needs the server's HTTPS mode.
    const tlsServer = await startCosmosServer({ tls: true });
    try {
      const credential = new FixedTokenCredential('fixed-test-token');
      await using store = new CosmosCheckpointStore({
        endpoint: tlsServer.endpoint,
        credential,
        databaseId: 'modes',
        clientOptions: { ...clientOptions, agent: tlsServer.agent! },
      });

      await roundTrip(store);

      expect(tlsServer.requests.length).toBeGreaterThan(0);
      for (const request of tlsServer.requests) {
        expect(decodeURIComponent(String(request.headers.authorization))).toBe('type=aad&ver=1.0&sig=fixed-test-token');
      }
      expect(credential.scopes[0]).toEqual([`${tlsServer.endpoint.replace(/\/$/, '')}/.default`]);
    } finally {
      await tlsServer.stop();
    }
  });
});

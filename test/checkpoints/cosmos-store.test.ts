import { afterAll, beforeAll, describe, it } from 'vitest';
import { CosmosCheckpointStore, type CosmosCheckpointStoreOptions } from '../../src/checkpoints/cosmos-store';
import { LOCAL_CONNECTION_POLICY, startCosmosServer, type LocalCosmosServer } from '../support/cosmos-server';
import { describeCheckpointStoreContract } from './contract';

describe('against the local Cosmos protocol server', () => {
  let server: LocalCosmosServer;

  beforeAll(async () => {
    server = await startCosmosServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  // A fresh store (and client) per test, all on one container: the suite keeps tests apart by run id.
  describeCheckpointStoreContract('cosmos (local server)', async () => {
    const store = new CosmosCheckpointStore({
      endpoint: server.endpoint,
      key: server.key,
      databaseId: 'contract',
      containerId: 'checkpoints',
      clientOptions: { connectionPolicy: LOCAL_CONNECTION_POLICY },
    });
    return { store, cleanup: () => store.close() };
  });
});

/*
 * The same suite against a real account or the official emulator, when one is configured:
 * COSMOS_TEST_ENDPOINT with COSMOS_TEST_KEY (or, without a key, an Azure identity that has a data
 * role on the account), COSMOS_TEST_DATABASE and COSMOS_TEST_CONTAINER (defaults below), and
 * COSMOS_TEST_CREATE_IF_MISSING=false where the identity may not create them.
 */
const realEndpoint = process.env.COSMOS_TEST_ENDPOINT?.trim();

if (realEndpoint) {
  describeCheckpointStoreContract('cosmos (COSMOS_TEST_ENDPOINT)', async () => {
    const key = process.env.COSMOS_TEST_KEY?.trim();
    const options: CosmosCheckpointStoreOptions = {
      endpoint: realEndpoint,
      ...(key ? { key } : {}),
      databaseId: process.env.COSMOS_TEST_DATABASE?.trim() || 'supersteps-test',
      containerId: process.env.COSMOS_TEST_CONTAINER?.trim() || 'checkpoints-test',
      createIfMissing: process.env.COSMOS_TEST_CREATE_IF_MISSING?.trim().toLowerCase() !== 'false',
    };
    const store = new CosmosCheckpointStore(options);
    return { store, cleanup: () => store.close() };
  });
} else {
  console.info('Skipping the Cosmos store contract against a real account: set COSMOS_TEST_ENDPOINT (and COSMOS_TEST_KEY, or sign in with an identity) to run it.');
  describe.skip('cosmos (COSMOS_TEST_ENDPOINT): CheckpointStore contract', () => {
    it('runs the shared contract against a real account or emulator', () => {});
  });
}

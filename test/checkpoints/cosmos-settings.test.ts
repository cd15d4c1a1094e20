import { CosmosClient } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COSMOS_CONTAINER, DEFAULT_COSMOS_DATABASE } from '../../src/checkpoints/cosmos-layout';
import { CosmosSettingsError, cosmosSettingsFromEnv } from '../../src/checkpoints/cosmos-settings';
import { CosmosCheckpointStore, type CosmosCheckpointStoreOptions } from '../../src/checkpoints/cosmos-store';

const ENDPOINT = 'https://example-account.documents.azure.com:443/';
const KEY = Buffer.from('not a real key').toString('base64');

describe('cosmosSettingsFromEnv', () => {
  it('reads an endpoint and key, with the layout defaults', () => {
    expect(cosmosSettingsFromEnv({ COSMOS_ENDPOINT: ENDPOINT, COSMOS_KEY: KEY })).toStrictEqual({
      endpoint: ENDPOINT,
      key: KEY,
      databaseId: DEFAULT_COSMOS_DATABASE,
      containerId: DEFAULT_COSMOS_CONTAINER,
      createIfMissing: true,
    });
  });

  it('reads a connection string into endpoint and key', () => {
    const settings = cosmosSettingsFromEnv({ COSMOS_CONNECTION_STRING: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY};` });
    expect(settings).toMatchObject({ endpoint: ENDPOINT, key: KEY });
  });

  it('accepts COSMOS_ENDPOINT beside a connection string for the same account', () => {
    const settings = cosmosSettingsFromEnv({
      COSMOS_ENDPOINT: 'https://EXAMPLE-account.documents.azure.com',
      COSMOS_CONNECTION_STRING: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY}`,
    });
    expect(settings.endpoint).toBe(ENDPOINT);
  });

  it('signs in with an identity when there is no key, as the user-assigned one in AZURE_CLIENT_ID', () => {
    expect(cosmosSettingsFromEnv({ COSMOS_ENDPOINT: ENDPOINT })).toStrictEqual({
      endpoint: ENDPOINT,
      databaseId: DEFAULT_COSMOS_DATABASE,
      containerId: DEFAULT_COSMOS_CONTAINER,
      createIfMissing: true,
    });
    expect(cosmosSettingsFromEnv({ COSMOS_ENDPOINT: ENDPOINT, AZURE_CLIENT_ID: 'client-id' }).managedIdentityClientId).toBe('client-id');
    expect(cosmosSettingsFromEnv({ COSMOS_ENDPOINT: ENDPOINT, COSMOS_KEY: KEY, AZURE_CLIENT_ID: 'client-id' }).managedIdentityClientId).toBeUndefined();
  });

  it('reads database, container, the create switch and the TTL; blank values count as unset', () => {
    const settings = cosmosSettingsFromEnv({
      COSMOS_ENDPOINT: ENDPOINT,
      COSMOS_KEY: ' ',
      COSMOS_DATABASE: 'db1',
      COSMOS_CONTAINER: 'c1',
      COSMOS_CREATE_IF_MISSING: 'false',
      CHECKPOINT_TTL_SECONDS: '86400',
    });
    expect(settings).toStrictEqual({ endpoint: ENDPOINT, databaseId: 'db1', containerId: 'c1', createIfMissing: false, ttlSeconds: 86400 });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['nothing set', {}, /COSMOS_ENDPOINT.*COSMOS_KEY.*AZURE_CLIENT_ID.*COSMOS_CONNECTION_STRING/],
    ['a key without an endpoint', { COSMOS_KEY: KEY }, /set COSMOS_ENDPOINT/],
    ['a key and a connection string', { COSMOS_KEY: KEY, COSMOS_CONNECTION_STRING: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY}` }, /both COSMOS_KEY and COSMOS_CONNECTION_STRING/],
    [
      'a connection string for another account than COSMOS_ENDPOINT',
      { COSMOS_ENDPOINT: 'https://other.documents.azure.com/', COSMOS_CONNECTION_STRING: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY}` },
      /COSMOS_ENDPOINT .* and the AccountEndpoint of COSMOS_CONNECTION_STRING .* differ/,
    ],
    ['a connection string without a key', { COSMOS_CONNECTION_STRING: `AccountEndpoint=${ENDPOINT};` }, /COSMOS_CONNECTION_STRING has no AccountKey/],
    ['a connection string that is not one', { COSMOS_CONNECTION_STRING: 'hello' }, /COSMOS_CONNECTION_STRING is not a connection string/],
    ['an endpoint that is not a URL', { COSMOS_ENDPOINT: 'example-account' }, /COSMOS_ENDPOINT \(example-account\) is not a URL/],
    ['an endpoint of another scheme', { COSMOS_ENDPOINT: 'ftp://example/' }, /COSMOS_ENDPOINT .* must be an https:\/\/ URL/],
    ['a non-numeric TTL', { COSMOS_ENDPOINT: ENDPOINT, CHECKPOINT_TTL_SECONDS: 'a week' }, /CHECKPOINT_TTL_SECONDS \("a week"\) is not a number of seconds/],
    ['a zero TTL', { COSMOS_ENDPOINT: ENDPOINT, CHECKPOINT_TTL_SECONDS: '0' }, /CHECKPOINT_TTL_SECONDS/],
    ['a fractional TTL', { COSMOS_ENDPOINT: ENDPOINT, CHECKPOINT_TTL_SECONDS: '1.5' }, /CHECKPOINT_TTL_SECONDS/],
    ['a create switch that is not a boolean', { COSMOS_ENDPOINT: ENDPOINT, COSMOS_CREATE_IF_MISSING: 'sometimes' }, /COSMOS_CREATE_IF_MISSING \("sometimes"\) is not a boolean/],
    ['a container id Cosmos refuses', { COSMOS_ENDPOINT: ENDPOINT, COSMOS_CONTAINER: 'a/b' }, /COSMOS_CONTAINER \("a\/b"\) is not a valid Cosmos DB id/],
  ])('refuses %s, naming the settings to set', (_, env, message) => {
    expect(() => cosmosSettingsFromEnv(env)).toThrow(CosmosSettingsError);
    expect(() => cosmosSettingsFromEnv(env)).toThrow(message);
  });

  it('gives settings the store accepts as options', () => {
    const store = new CosmosCheckpointStore(cosmosSettingsFromEnv({ COSMOS_ENDPOINT: ENDPOINT, COSMOS_KEY: KEY, COSMOS_DATABASE: 'db1' }));
    expect(store.databaseId).toBe('db1');
    expect(store.ownsClient).toBe(true);
  });
});

describe('CosmosCheckpointStore options', () => {
  const client = new CosmosClient({ endpoint: ENDPOINT, key: KEY });
  const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

  it.each<[string, CosmosCheckpointStoreOptions, RegExp]>([
    ['no way to connect', {}, /has no connection: pass \{ endpoint, key \}/],
    ['two ways to connect', { endpoint: ENDPOINT, key: KEY, client }, /got client and endpoint: pass only one way to connect/],
    ['a key and a credential', { endpoint: ENDPOINT, key: KEY, credential }, /got key and credential: pass only one way to sign in/],
    ['a key and a managed identity', { endpoint: ENDPOINT, key: KEY, managedIdentityClientId: 'id' }, /got key and managedIdentityClientId/],
    ['a connection string and a key', { connectionString: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY}`, key: KEY }, /got key and connectionString/],
    [
      'an endpoint that contradicts the connection string',
      { endpoint: 'https://other.documents.azure.com/', connectionString: `AccountEndpoint=${ENDPOINT};AccountKey=${KEY}` },
      /endpoint \(https:\/\/other.documents.azure.com\/\) and the AccountEndpoint of connectionString .* differ/,
    ],
    ['an empty key', { endpoint: ENDPOINT, key: '' }, /key is empty/],
    ['sign-in options beside a client', { client, key: KEY }, /key only apply to a client the store makes/],
    ['client options beside a container', { container: client.database('d').container('c'), clientOptions: {} }, /clientOptions only apply/],
    ['a databaseId that differs from the container handed in', { container: client.database('d').container('c'), databaseId: 'other' }, /databaseId 'other' differs/],
    ['a TTL that is not whole seconds', { endpoint: ENDPOINT, key: KEY, ttlSeconds: 1.5 }, /ttlSeconds must be a whole number/],
    ['an invalid container id', { endpoint: ENDPOINT, key: KEY, containerId: 'a#b' }, /containerId \("a#b"\) is not a valid Cosmos DB id/],
  ])('refuses %s, saying what to pass', (_, options, message) => {
    expect(() => new CosmosCheckpointStore(options)).toThrow(CosmosSettingsError);
    expect(() => new CosmosCheckpointStore(options)).toThrow(message);
  });
});

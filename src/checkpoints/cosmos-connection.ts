import { CosmosClient, type Container, type CosmosClientOptions, type Database, type RetryOptions } from '@azure/cosmos';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { DEFAULT_COSMOS_CONTAINER, DEFAULT_COSMOS_DATABASE } from './cosmos-layout';
import { CosmosSettingsError, checkEndpoint, checkResourceId, parseCosmosConnectionString, sameEndpoint } from './cosmos-settings';

/**
 * How the store reaches its container. Give exactly one of: `endpoint` with `key`, `credential`,
 * `managedIdentityClientId` or nothing (then `DefaultAzureCredential`); `connectionString`;
 * or a `client`, `database` or `container` of your own, which the store never closes.
 */
export interface CosmosConnectionOptions {
  endpoint?: string;
  key?: string;
  connectionString?: string;
  credential?: TokenCredential;
  /** Sign in as this user-assigned managed identity (`ManagedIdentityCredential`). */
  managedIdentityClientId?: string;
  client?: CosmosClient;
  database?: Database;
  container?: Container;
  /** Defaults to `DEFAULT_COSMOS_DATABASE`; must match a `database` or `container` handed in. */
  databaseId?: string;
  /** Defaults to `DEFAULT_COSMOS_CONTAINER`; must match a `container` handed in. */
  containerId?: string;
  /** More options for a client the store makes itself (an agent, a user agent suffix, connection policy). */
  clientOptions?: Omit<CosmosClientOptions, 'endpoint' | 'key' | 'connectionString' | 'aadCredentials'>;
}

/**
 * Throttling (429) is retried by the SDK itself, honouring the service's retry-after, up to this
 * budget; what still fails surfaces as a `TransientStoreError` for the runtime to retry later.
 */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = { maxRetryAttemptCount: 9, maxWaitTimeInSeconds: 30 };

/** The store's container, and the client behind it when the store made that client. */
export interface CosmosConnection {
  databaseId: string;
  containerId: string;
  /** The container handle; makes the client on first use. No I/O. */
  container(): Container;
  /** True when `close()` must dispose the client: the store made it. */
  readonly ownsClient: boolean;
  /** Disposes the client if the store made it and it exists; otherwise does nothing. */
  dispose(): void;
}

/** Checks the options (no I/O) and returns a lazy connection. Throws `CosmosSettingsError`. */
export function resolveCosmosConnection(options: CosmosConnectionOptions): CosmosConnection {
  if (typeof options !== 'object' || options === null) {
    throw new CosmosSettingsError('CosmosCheckpointStore needs options: pass { endpoint, key }, { connectionString }, { endpoint, credential } or a { client }');
  }
  const given = (['client', 'database', 'container'] as const).filter((name) => options[name] !== undefined);
  const byAddress = options.endpoint !== undefined || options.connectionString !== undefined;
  if (given.length + (byAddress ? 1 : 0) === 0) {
    throw new CosmosSettingsError(
      'CosmosCheckpointStore has no connection: pass { endpoint, key }, { endpoint, credential }, { endpoint } (DefaultAzureCredential), ' +
        '{ endpoint, managedIdentityClientId }, { connectionString }, or a { client }, { database } or { container }',
    );
  }
  if (given.length + (byAddress ? 1 : 0) > 1) {
    const names = [...given, ...(options.endpoint !== undefined ? ['endpoint'] : []), ...(options.connectionString !== undefined ? ['connectionString'] : [])];
    throw new CosmosSettingsError(`CosmosCheckpointStore got ${names.join(' and ')}: pass only one way to connect`);
  }
  if (!byAddress) return handedIn(options);
  return ownClient(options);
}

function handedIn(options: CosmosConnectionOptions): CosmosConnection {
  const stray = (['key', 'credential', 'managedIdentityClientId', 'clientOptions'] as const).filter((name) => options[name] !== undefined);
  if (stray.length > 0) {
    throw new CosmosSettingsError(`${stray.join(' and ')} only apply to a client the store makes: leave them out when you pass a client, database or container`);
  }
  const { client, database, container } = options;
  if (container) {
    mustMatch(options.databaseId, container.database.id, 'databaseId', 'the database of the container passed in');
    mustMatch(options.containerId, container.id, 'containerId', 'the container passed in');
    return fixedConnection(container);
  }
  if (database) {
    mustMatch(options.databaseId, database.id, 'databaseId', 'the database passed in');
    return fixedConnection(database.container(checkResourceId(options.containerId ?? DEFAULT_COSMOS_CONTAINER, 'containerId')));
  }
  const databaseId = checkResourceId(options.databaseId ?? DEFAULT_COSMOS_DATABASE, 'databaseId');
  const containerId = checkResourceId(options.containerId ?? DEFAULT_COSMOS_CONTAINER, 'containerId');
  return fixedConnection(client!.database(databaseId).container(containerId));
}

function fixedConnection(container: Container): CosmosConnection {
  return {
    databaseId: container.database.id,
    containerId: container.id,
    container: () => container,
    ownsClient: false,
    dispose: () => {},
  };
}

function ownClient(options: CosmosConnectionOptions): CosmosConnection {
  const { endpoint, key, credential } = resolveAddress(options);
  const databaseId = checkResourceId(options.databaseId ?? DEFAULT_COSMOS_DATABASE, 'databaseId');
  const containerId = checkResourceId(options.containerId ?? DEFAULT_COSMOS_CONTAINER, 'containerId');
  let client: CosmosClient | undefined;
  let container: Container | undefined;
  return {
    databaseId,
    containerId,
    container() {
      if (!container) {
        client = new CosmosClient(clientOptionsFor(endpoint, key, credential, options));
        container = client.database(databaseId).container(containerId);
      }
      return container;
    },
    ownsClient: true,
    dispose() {
      client?.dispose();
    },
  };
}

interface Address {
  endpoint: string;
  key?: string;
  /** Made lazily: constructing some credentials reads the environment. */
  credential?: () => TokenCredential;
}

function resolveAddress(options: CosmosConnectionOptions): Address {
  const { key, credential, managedIdentityClientId, connectionString } = options;
  const ways = [key !== undefined && 'key', credential !== undefined && 'credential', managedIdentityClientId !== undefined && 'managedIdentityClientId', connectionString !== undefined && 'connectionString'].filter(
    (way): way is string => typeof way === 'string',
  );
  if (ways.length > 1) {
    throw new CosmosSettingsError(`CosmosCheckpointStore got ${ways.join(' and ')}: pass only one way to sign in`);
  }
  if (connectionString !== undefined) {
    const parsed = parseCosmosConnectionString(connectionString, 'connectionString');
    if (options.endpoint !== undefined && !sameEndpoint(options.endpoint, parsed.endpoint, 'endpoint')) {
      throw new CosmosSettingsError(`endpoint (${options.endpoint}) and the AccountEndpoint of connectionString (${parsed.endpoint}) differ: pass only the connection string`);
    }
    return parsed;
  }
  const endpoint = checkEndpoint(options.endpoint!, 'endpoint');
  if (key !== undefined) {
    if (typeof key !== 'string' || key.trim() === '') throw new CosmosSettingsError('key is empty: pass the account key, or leave it out to sign in with an identity');
    return { endpoint, key };
  }
  if (credential !== undefined) return { endpoint, credential: () => credential };
  if (managedIdentityClientId !== undefined) {
    if (typeof managedIdentityClientId !== 'string' || managedIdentityClientId.trim() === '') {
      throw new CosmosSettingsError('managedIdentityClientId is empty: pass the client id of the user-assigned identity, or leave it out');
    }
    return { endpoint, credential: () => new ManagedIdentityCredential({ clientId: managedIdentityClientId }) };
  }
  return { endpoint, credential: () => new DefaultAzureCredential() };
}

function clientOptionsFor(endpoint: string, key: string | undefined, credential: (() => TokenCredential) | undefined, options: CosmosConnectionOptions): CosmosClientOptions {
  const extra = options.clientOptions ?? {};
  return {
    userAgentSuffix: 'supersteps-checkpoints',
    ...extra,
    endpoint,
    ...(key !== undefined ? { key } : { aadCredentials: credential!() }),
    // A fresh object: the SDK writes its defaults into the policy it is given.
    connectionPolicy: {
      ...extra.connectionPolicy,
      retryOptions: { ...DEFAULT_RETRY_OPTIONS, ...extra.connectionPolicy?.retryOptions },
    },
  };
}

function mustMatch(given: string | undefined, actual: string, name: string, what: string): void {
  if (given !== undefined && given !== actual) {
    throw new CosmosSettingsError(`${name} '${given}' differs from ${what} ('${actual}'): leave ${name} out or make them match`);
  }
}

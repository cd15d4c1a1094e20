import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';

export interface QueueConnection {
  client: QueueServiceClient;
  /** For logs: the queue endpoint, never a key. */
  endpoint: string;
}

/**
 * Retries are the listener's job (with its own back-off), so the SDK gives up fast; a dead
 * storage endpoint must not stall a poll for minutes.
 */
const pipelineOptions: StoragePipelineOptions = {
  retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: 30_000 },
};

/**
 * The Storage account a binding's `connection` names, resolved as the Functions host does: the
 * setting itself or `AzureWebJobs<name>` holding a connection string (`UseDevelopmentStorage=true`
 * included), or identity-based settings `<name>__queueServiceUri` / `<name>__serviceUri` /
 * `<name>__accountName` used with DefaultAzureCredential (`<name>__clientId` for a user-assigned
 * identity). An empty name means `AzureWebJobsStorage`.
 */
export async function connectQueueService(connectionName: string | undefined, env: NodeJS.ProcessEnv): Promise<QueueConnection> {
  const name = connectionName && connectionName.trim() !== '' ? connectionName.trim() : 'AzureWebJobsStorage';
  const connectionString = env[name] ?? env[`AzureWebJobs${name}`];
  if (connectionString !== undefined && connectionString.trim() !== '') {
    let client: QueueServiceClient;
    try {
      client = QueueServiceClient.fromConnectionString(connectionString.trim(), pipelineOptions);
    } catch (error) {
      throw new Error(`App setting ${name} is not a valid Storage connection string: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { client, endpoint: stripQuery(client.url) };
  }

  const serviceUri =
    env[`${name}__queueServiceUri`] ??
    env[`${name}__serviceUri`] ??
    (env[`${name}__accountName`] ? `https://${env[`${name}__accountName`]}.queue.core.windows.net` : undefined);
  if (serviceUri) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    const clientId = env[`${name}__clientId`];
    const credential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    return { client: new QueueServiceClient(serviceUri, credential, pipelineOptions), endpoint: stripQuery(serviceUri) };
  }

  throw new Error(
    `Storage connection "${name}" is not configured: set app setting ${name} to a connection string ` +
      `(UseDevelopmentStorage=true for Azurite) or ${name}__queueServiceUri / ${name}__accountName for an identity-based connection`,
  );
}

function stripQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  return parsed.toString().replace(/\/$/, '');
}

/** Queue names: 3–63 characters of lower-case letters, digits and single hyphens, not at either end. */
export function assertValidQueueName(queueName: string, what: string): void {
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(queueName)) {
    throw new Error(
      `${what}: "${queueName}" is not a valid queue name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit)`,
    );
  }
}

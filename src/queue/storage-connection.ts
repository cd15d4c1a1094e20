import type { TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';

type Env = Readonly<Record<string, string | undefined>>;

export class StorageSettingsError extends Error {
  override name = 'StorageSettingsError';
}

/**
 * The queue service of a Functions storage connection named `connection` (default
 * `AzureWebJobsStorage`): a connection string (Azurite's `UseDevelopmentStorage=true` too), or
 * identity-based `<connection>__queueServiceUri` / `__accountName` with `__credential` and `__clientId`.
 */
export function queueServiceFromSettings(env: Env, connection = 'AzureWebJobsStorage'): QueueServiceClient {
  const connectionString = env[connection]?.trim();
  if (connectionString) return QueueServiceClient.fromConnectionString(connectionString);
  const serviceUri = env[`${connection}__queueServiceUri`]?.trim();
  const accountName = env[`${connection}__accountName`]?.trim();
  const url = serviceUri || (accountName ? `https://${accountName}.queue.core.windows.net` : undefined);
  if (!url) {
    throw new StorageSettingsError(
      `no storage account configured for the step queue: set ${connection} (a connection string, or UseDevelopmentStorage=true for Azurite) ` +
        `or ${connection}__queueServiceUri / ${connection}__accountName with a managed identity`,
    );
  }
  return new QueueServiceClient(url, credentialFor(env, connection));
}

function credentialFor(env: Env, connection: string): TokenCredential {
  // Loaded only for identity-based connections; a connection string never needs it.
  const { DefaultAzureCredential, ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  const kind = env[`${connection}__credential`]?.trim().toLowerCase();
  const clientId = env[`${connection}__clientId`]?.trim();
  if (kind === 'managedidentity') return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

/**
 * One-line summaries of the settings that decide where this app keeps its state, for the host's
 * start-up banner. Never prints a key or a connection string, only where things go.
 */

export function describeCheckpointStore(env: NodeJS.ProcessEnv): string {
  const cosmosConfigured = Boolean(env.COSMOS_ENDPOINT || env.COSMOS_CONNECTION_STRING);
  const store = (env.CHECKPOINT_STORE || (cosmosConfigured ? 'cosmos' : 'file')).toLowerCase();
  const explicit = env.CHECKPOINT_STORE ? 'CHECKPOINT_STORE' : 'default';
  if (store === 'cosmos') {
    const where = env.COSMOS_ENDPOINT
      ? `COSMOS_ENDPOINT=${env.COSMOS_ENDPOINT}`
      : env.COSMOS_CONNECTION_STRING
        ? 'COSMOS_CONNECTION_STRING is set'
        : 'COSMOS_ENDPOINT is NOT set';
    const auth = env.COSMOS_KEY || env.COSMOS_CONNECTION_STRING ? 'key' : 'DefaultAzureCredential';
    const names = [env.COSMOS_DATABASE && `database ${env.COSMOS_DATABASE}`, env.COSMOS_CONTAINER && `container ${env.COSMOS_CONTAINER}`]
      .filter(Boolean)
      .join(', ');
    return `Checkpoint store: cosmos (${explicit}; ${where}; auth: ${auth}${names ? `; ${names}` : ''})`;
  }
  if (store === 'file') {
    return `Checkpoint store: file (${explicit}; CHECKPOINT_DIR=${env.CHECKPOINT_DIR ?? '(not set: the app default)'})`;
  }
  return `Checkpoint store: ${store} (${explicit})`;
}

export function describeStorageSetting(env: NodeJS.ProcessEnv, name = 'AzureWebJobsStorage'): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    if (env[`${name}__queueServiceUri`] || env[`${name}__serviceUri`] || env[`${name}__accountName`]) {
      return `${name}: identity-based (${env[`${name}__queueServiceUri`] ?? env[`${name}__serviceUri`] ?? env[`${name}__accountName`]})`;
    }
    return `${name}: not set`;
  }
  if (/^\s*UseDevelopmentStorage=true/i.test(value)) return `${name}: development storage (Azurite on 127.0.0.1:10001)`;
  const endpoint = /QueueEndpoint=([^;]+)/i.exec(value)?.[1];
  const account = /AccountName=([^;]+)/i.exec(value)?.[1];
  return `${name}: ${endpoint ? `queue endpoint ${endpoint}` : `account ${account ?? '(unknown)'}`}`;
}

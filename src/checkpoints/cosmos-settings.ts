import { DEFAULT_COSMOS_CONTAINER, DEFAULT_COSMOS_DATABASE } from './cosmos-layout';

/** Settings that cannot work: missing, malformed or contradicting each other. Names what to set. */
export class CosmosSettingsError extends Error {
  override name = 'CosmosSettingsError';
}

/** Where the Cosmos checkpoint store connects, as read from the environment. */
export interface CosmosSettings {
  endpoint: string;
  /** Account key; when absent the store signs in with an Azure identity. */
  key?: string;
  /** Client id of a user-assigned managed identity; only used when there is no key. */
  managedIdentityClientId?: string;
  databaseId: string;
  containerId: string;
  createIfMissing: boolean;
  ttlSeconds?: number;
}

/** Cosmos DB's largest per-item TTL: a 32-bit signed integer of seconds. */
export const MAX_TTL_SECONDS = 2_147_483_647;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_CONNECTION_STRING, COSMOS_DATABASE, COSMOS_CONTAINER,
 * AZURE_CLIENT_ID, COSMOS_CREATE_IF_MISSING and CHECKPOINT_TTL_SECONDS. Empty values count as unset,
 * as app settings are often present but blank. AZURE_CLIENT_ID is ignored when a key is given: the
 * app may use that identity for other services.
 */
export function cosmosSettingsFromEnv(env: Env): CosmosSettings {
  const endpointSetting = nonEmpty(env.COSMOS_ENDPOINT);
  const keySetting = nonEmpty(env.COSMOS_KEY);
  const connectionString = nonEmpty(env.COSMOS_CONNECTION_STRING);
  if (keySetting !== undefined && connectionString !== undefined) {
    throw new CosmosSettingsError('both COSMOS_KEY and COSMOS_CONNECTION_STRING are set: set only one of them');
  }
  let endpoint: string;
  let key = keySetting;
  if (connectionString !== undefined) {
    const parsed = parseCosmosConnectionString(connectionString, 'COSMOS_CONNECTION_STRING');
    if (endpointSetting !== undefined && !sameEndpoint(endpointSetting, parsed.endpoint, 'COSMOS_ENDPOINT')) {
      throw new CosmosSettingsError(
        `COSMOS_ENDPOINT (${endpointSetting}) and the AccountEndpoint of COSMOS_CONNECTION_STRING (${parsed.endpoint}) differ: ` +
          'unset COSMOS_ENDPOINT or make them name the same account',
      );
    }
    endpoint = parsed.endpoint;
    key = parsed.key;
  } else if (endpointSetting !== undefined) {
    endpoint = checkEndpoint(endpointSetting, 'COSMOS_ENDPOINT');
  } else {
    throw new CosmosSettingsError(
      'no Cosmos DB account configured: set COSMOS_ENDPOINT (with COSMOS_KEY, or a managed identity and AZURE_CLIENT_ID ' +
        'for a user-assigned one) or set COSMOS_CONNECTION_STRING',
    );
  }
  const settings: CosmosSettings = {
    endpoint,
    databaseId: checkResourceId(nonEmpty(env.COSMOS_DATABASE) ?? DEFAULT_COSMOS_DATABASE, 'COSMOS_DATABASE'),
    containerId: checkResourceId(nonEmpty(env.COSMOS_CONTAINER) ?? DEFAULT_COSMOS_CONTAINER, 'COSMOS_CONTAINER'),
    createIfMissing: parseBoolean(nonEmpty(env.COSMOS_CREATE_IF_MISSING), 'COSMOS_CREATE_IF_MISSING', true),
  };
  if (key !== undefined) settings.key = key;
  const clientId = nonEmpty(env.AZURE_CLIENT_ID);
  if (key === undefined && clientId !== undefined) settings.managedIdentityClientId = clientId;
  const ttl = nonEmpty(env.CHECKPOINT_TTL_SECONDS);
  if (ttl !== undefined) settings.ttlSeconds = parseTtlSeconds(ttl, 'CHECKPOINT_TTL_SECONDS');
  return settings;
}

/** `AccountEndpoint=https://...;AccountKey=...;` → endpoint and key. `name` is what to blame. */
export function parseCosmosConnectionString(value: string, name: string): { endpoint: string; key: string } {
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) {
      throw new CosmosSettingsError(`${name} is not a connection string: expected AccountEndpoint=https://...;AccountKey=...;`);
    }
    fields.set(trimmed.slice(0, equals).toLowerCase(), trimmed.slice(equals + 1));
  }
  const endpoint = nonEmpty(fields.get('accountendpoint'));
  const key = nonEmpty(fields.get('accountkey'));
  if (endpoint === undefined || key === undefined) {
    const missing = [endpoint === undefined ? 'AccountEndpoint' : undefined, key === undefined ? 'AccountKey' : undefined].filter(Boolean);
    throw new CosmosSettingsError(`${name} has no ${missing.join(' and no ')}: expected AccountEndpoint=https://...;AccountKey=...;`);
  }
  return { endpoint: checkEndpoint(endpoint, `the AccountEndpoint of ${name}`), key };
}

/** An absolute http(s) URL; returned unchanged. */
export function checkEndpoint(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CosmosSettingsError(`${name} (${value}) is not a URL: use the account's endpoint, e.g. https://<account>.documents.azure.com:443/`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CosmosSettingsError(`${name} (${value}) must be an https:// URL (http:// only for a local emulator)`);
  }
  return value;
}

/** True when both URLs name the same account (scheme, host and port; case and trailing slash ignored). */
export function sameEndpoint(a: string, b: string, name: string): boolean {
  return new URL(checkEndpoint(a, name)).origin === new URL(b).origin;
}

/** Cosmos ids: 1-255 characters, none of `/ \ # ?`, no trailing space. */
export function checkResourceId(value: string, name: string): string {
  if (value.length > 255 || /[/\\#?]/.test(value) || value.endsWith(' ')) {
    throw new CosmosSettingsError(`${name} (${JSON.stringify(value)}) is not a valid Cosmos DB id: use 1-255 characters without / \\ # ? or a trailing space`);
  }
  return value;
}

export function parseTtlSeconds(value: string, name: string): number {
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new CosmosSettingsError(
      `${name} (${JSON.stringify(value)}) is not a number of seconds: use a whole number from 1 to ${MAX_TTL_SECONDS}, or leave it unset to keep checkpoints forever`,
    );
  }
  return seconds;
}

function parseBoolean(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  throw new CosmosSettingsError(`${name} (${JSON.stringify(value)}) is not a boolean: use true or false`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

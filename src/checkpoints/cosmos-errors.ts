import { CheckpointStoreError, TransientStoreError } from './errors';

/** Statuses that mean "not now": throttled, timed out, retry-with, or the service hiccuped. */
const TRANSIENT_STATUSES = new Set([408, 429, 449, 500, 502, 503, 504]);

/** Network failures worth retrying: the service was not reached or the connection broke. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'REQUEST_SEND_ERROR',
  'TimeoutError',
]);

/** Cosmos sub-status of a 404 whose database or container is missing, not the item. */
export const OWNER_RESOURCE_MISSING_SUBSTATUS = 1003;

/** The HTTP status of a Cosmos SDK error, if it carries one. */
export function cosmosStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

export function cosmosSubstatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { substatus, headers } = error as { substatus?: unknown; headers?: Record<string, unknown> };
  if (typeof substatus === 'number') return substatus;
  const header = headers?.['x-ms-substatus'];
  return header === undefined ? undefined : Number(header);
}

/** Where the store is, for messages: database and container. */
export interface CosmosLocation {
  databaseId: string;
  containerId: string;
}

/**
 * Turns whatever the SDK threw into a store error: `TransientStoreError` for what may pass
 * (with the service's retry-after), a `CheckpointStoreError` naming the status for the rest.
 * Callers handle the statuses that mean something for their operation (404, 409, 413) first.
 */
export function toStoreError(error: unknown, action: string, where: CosmosLocation): CheckpointStoreError {
  if (error instanceof CheckpointStoreError) return error;
  const status = cosmosStatus(error);
  const detail = errorDetail(error);
  if (isTransient(error)) {
    const why = status !== undefined ? `status ${status}` : errorCode(error) ?? 'a network error';
    return new TransientStoreError(`Cosmos DB ${action} failed for now (${why}): ${detail}; try again later`, retryAfterMs(error), { cause: error });
  }
  const place = `container '${where.containerId}' of database '${where.databaseId}'`;
  if (status === 404 && cosmosSubstatus(error) === OWNER_RESOURCE_MISSING_SUBSTATUS) {
    return containerMissingError(where, error);
  }
  if (status === 401) {
    return new CheckpointStoreError(`Cosmos DB ${action} was refused (status 401): the key or token is not valid for this account: ${detail}`, { cause: error });
  }
  if (status === 403) {
    return new CheckpointStoreError(
      `Cosmos DB ${action} was forbidden (status 403) on ${place}: give the identity a data role such as ` +
        `'Cosmos DB Built-in Data Contributor', or check the account's network rules: ${detail}`,
      { cause: error },
    );
  }
  const shown = status !== undefined ? `status ${status}` : errorCode(error) ?? 'an error';
  return new CheckpointStoreError(`Cosmos DB ${action} on ${place} failed with ${shown}: ${detail}`, { cause: error });
}

export function containerMissingError(where: CosmosLocation, cause?: unknown): CheckpointStoreError {
  return new CheckpointStoreError(
    `container '${where.containerId}' of database '${where.databaseId}' does not exist: provision it ` +
      `(infra does) or let the store create it (COSMOS_CREATE_IF_MISSING=true)`,
    cause === undefined ? undefined : { cause },
  );
}

export function isTransient(error: unknown): boolean {
  const status = cosmosStatus(error);
  if (status !== undefined && TRANSIENT_STATUSES.has(status)) return true;
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

function retryAfterMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { retryAfterInMs, retryAfterInMilliseconds, headers } = error as {
    retryAfterInMs?: unknown;
    retryAfterInMilliseconds?: unknown;
    headers?: Record<string, unknown>;
  };
  for (const value of [retryAfterInMs, retryAfterInMilliseconds, headers?.['x-ms-retry-after-ms']]) {
    const ms = typeof value === 'string' ? Number(value) : value;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return ms;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorDetail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Service messages are JSON with a long diagnostic tail; the first line says what went wrong.
  const body = (error as { body?: { message?: unknown } }).body;
  const message = typeof body?.message === 'string' && body.message !== '' ? body.message : error.message;
  const firstLine = message.split(/\r?\n/)[0] ?? '';
  return firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine || error.name;
}

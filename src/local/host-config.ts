import fs from 'node:fs';
import path from 'node:path';
import { parseTimeSpan } from './timespan';

export type MessageEncoding = 'base64' | 'none';

export interface QueueSettings {
  /** Longest wait between polls of an empty queue, in ms. */
  maxPollingIntervalMs: number;
  /** Delay before a message whose invocation failed becomes visible again, in ms. */
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: MessageEncoding;
}

export interface HostConfig {
  routePrefix: string;
  queues: QueueSettings;
  /** Undefined: no limit. */
  functionTimeoutMs: number | undefined;
}

const defaultBatchSize = 16;

/** host.json defaults of the Functions host (extension bundle 4.x). */
export function defaultHostConfig(): HostConfig {
  return {
    routePrefix: 'api',
    queues: {
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      batchSize: defaultBatchSize,
      newBatchThreshold: defaultBatchSize / 2,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    },
    functionTimeoutMs: 30 * 60_000,
  };
}

export function readHostConfig(appDir: string): HostConfig {
  const file = path.join(appDir, 'host.json');
  if (!fs.existsSync(file)) return defaultHostConfig();
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`host.json is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseHostConfig(json);
}

export function parseHostConfig(json: unknown): HostConfig {
  const config = defaultHostConfig();
  if (!isObject(json)) throw new Error('host.json must be a JSON object');

  if (json.functionTimeout !== undefined && json.functionTimeout !== null) {
    const timeout = json.functionTimeout;
    config.functionTimeoutMs = timeout === '-1' || timeout === -1 ? undefined : parseTimeSpan(timeout, 'host.json functionTimeout');
    if (config.functionTimeoutMs !== undefined && config.functionTimeoutMs <= 0) {
      throw new Error('host.json functionTimeout must be positive, or "-1" for no limit');
    }
  }

  const extensions = optionalObject(json.extensions, 'host.json extensions');
  const http = optionalObject(extensions?.http, 'host.json extensions.http');
  if (http?.routePrefix !== undefined) {
    if (typeof http.routePrefix !== 'string') throw new Error('host.json extensions.http.routePrefix must be a string');
    config.routePrefix = http.routePrefix.replace(/^\/+|\/+$/g, '');
  }

  const queues = optionalObject(extensions?.queues, 'host.json extensions.queues');
  if (queues) config.queues = parseQueueSettings(queues, config.queues);
  return config;
}

function parseQueueSettings(queues: Record<string, unknown>, defaults: QueueSettings): QueueSettings {
  const field = (name: string): string => `host.json extensions.queues.${name}`;
  const result = { ...defaults };
  if (queues.maxPollingInterval !== undefined) {
    result.maxPollingIntervalMs = durationOrMs(queues.maxPollingInterval, field('maxPollingInterval'));
    if (result.maxPollingIntervalMs < 100) throw new Error(`${field('maxPollingInterval')} must be at least 100 ms`);
  }
  if (queues.visibilityTimeout !== undefined) {
    result.visibilityTimeoutMs = durationOrMs(queues.visibilityTimeout, field('visibilityTimeout'));
    if (result.visibilityTimeoutMs < 0) throw new Error(`${field('visibilityTimeout')} must not be negative`);
  }
  if (queues.batchSize !== undefined) {
    result.batchSize = integerIn(queues.batchSize, 1, 32, field('batchSize'));
    result.newBatchThreshold = Math.floor(result.batchSize / 2);
  }
  if (queues.newBatchThreshold !== undefined) {
    result.newBatchThreshold = integerIn(queues.newBatchThreshold, 0, 1000, field('newBatchThreshold'));
  }
  if (queues.maxDequeueCount !== undefined) {
    result.maxDequeueCount = integerIn(queues.maxDequeueCount, 1, 1000, field('maxDequeueCount'));
  }
  if (queues.messageEncoding !== undefined) {
    const encoding = String(queues.messageEncoding).toLowerCase();
    if (encoding !== 'base64' && encoding !== 'none') {
      throw new Error(`${field('messageEncoding')} must be "base64" or "none", got ${JSON.stringify(queues.messageEncoding)}`);
    }
    result.messageEncoding = encoding;
  }
  return result;
}

/** Durations are TimeSpan strings; plain numbers are read as milliseconds, as host.json v1 did. */
function durationOrMs(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return parseTimeSpan(value, field);
}

function integerIn(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new Error(`${field} must be an object`);
  return value;
}

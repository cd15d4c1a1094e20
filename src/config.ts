import { resolve } from 'node:path';
import { ConfigError } from './config-error';
import { FileCheckpointStore } from './checkpoints/file-store';
import { MemoryCheckpointStore } from './checkpoints/memory-store';
import type { CheckpointStore } from './checkpoints/store';
import { StorageStepQueue, type MessageEncoding } from './queue/storage-step-queue';
import { queueServiceFromSettings } from './queue/storage-connection';
import { consoleLogger, type Logger } from './runtime/logger';
import { DEFAULT_STEP_QUEUE } from './runtime/queue-names';
import { WorkflowRuntime } from './runtime/runtime';
import type { StepQueue } from './runtime/step-queue';
import type { WorkflowLookup } from './runtime/context';
import { shippedWorkflows } from './workflows';

type Env = Readonly<Record<string, string | undefined>>;

export { ConfigError };

export type StoreKind = 'cosmos' | 'file' | 'memory';

export interface AppSettings {
  store: StoreKind;
  checkpointDir: string;
  stepQueue: string;
  messageEncoding: MessageEncoding;
  /** Must equal host.json `extensions.queues.maxDequeueCount`: the last delivery records the failure. */
  maxDequeueCount: number;
  stalledRunSeconds: number;
  followUpGraceSeconds: number;
  approvalTimeoutSeconds?: number;
}

export const DEFAULT_CHECKPOINT_DIR = '.data/checkpoints';

/** Reads and checks every setting; an error names the setting and what it accepts. */
export function readSettings(env: Env = process.env): AppSettings {
  const storeSetting = value(env, 'CHECKPOINT_STORE');
  const cosmosConfigured = !!(value(env, 'COSMOS_ENDPOINT') || value(env, 'COSMOS_CONNECTION_STRING'));
  const store = (storeSetting ?? (cosmosConfigured ? 'cosmos' : 'file')).toLowerCase();
  if (store !== 'cosmos' && store !== 'file' && store !== 'memory') {
    throw new ConfigError(`CHECKPOINT_STORE must be cosmos, file or memory, not '${storeSetting}'`);
  }
  const stepQueue = value(env, 'STEP_QUEUE') ?? DEFAULT_STEP_QUEUE;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(stepQueue) || stepQueue.length > 57) {
    throw new ConfigError(`STEP_QUEUE '${stepQueue}' is not a valid queue name: 3-57 lower-case letters, digits and single hyphens (room is left for '-poison')`);
  }
  const encoding = (value(env, 'QUEUE_MESSAGE_ENCODING') ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') throw new ConfigError(`QUEUE_MESSAGE_ENCODING must be base64 or none, not '${encoding}'`);
  const approvalTimeout = value(env, 'APPROVAL_TIMEOUT_SECONDS');
  return {
    store,
    checkpointDir: resolve(value(env, 'CHECKPOINT_DIR') ?? DEFAULT_CHECKPOINT_DIR),
    stepQueue,
    messageEncoding: encoding,
    maxDequeueCount: wholeNumber(env, 'MAX_DEQUEUE_COUNT', 5, 1, 100),
    stalledRunSeconds: wholeNumber(env, 'STALLED_RUN_SECONDS', 300, 10, 7 * 24 * 3600),
    followUpGraceSeconds: wholeNumber(env, 'FOLLOW_UP_GRACE_SECONDS', 30, 0, 3600),
    ...(approvalTimeout === undefined ? {} : { approvalTimeoutSeconds: wholeNumber(env, 'APPROVAL_TIMEOUT_SECONDS', 86_400, 1, 365 * 24 * 3600) }),
  };
}

export function createStore(settings: AppSettings, env: Env = process.env): CheckpointStore {
  switch (settings.store) {
    case 'memory':
      return new MemoryCheckpointStore();
    case 'file':
      return new FileCheckpointStore({ directory: settings.checkpointDir });
    case 'cosmos': {
      // Loaded only when chosen: the Cosmos and identity SDKs are most of a cold start's imports.
      const { cosmosSettingsFromEnv } = require('./checkpoints/cosmos-settings') as typeof import('./checkpoints/cosmos-settings');
      const { CosmosCheckpointStore } = require('./checkpoints/cosmos-store') as typeof import('./checkpoints/cosmos-store');
      const cosmos = cosmosSettingsFromEnv(env);
      const local = isLoopback(cosmos.endpoint);
      return new CosmosCheckpointStore({
        endpoint: cosmos.endpoint,
        ...(cosmos.key ? { key: cosmos.key } : {}),
        ...(cosmos.managedIdentityClientId ? { managedIdentityClientId: cosmos.managedIdentityClientId } : {}),
        databaseId: cosmos.databaseId,
        containerId: cosmos.containerId,
        createIfMissing: cosmos.createIfMissing,
        ...(cosmos.ttlSeconds ? { ttlSeconds: cosmos.ttlSeconds } : {}),
        // A local emulator or protocol server has one region and no account endpoint to discover.
        ...(local ? { clientOptions: { connectionPolicy: { enableEndpointDiscovery: false } } } : {}),
      });
    }
  }
}

export function createStepQueue(settings: AppSettings, env: Env = process.env): StorageStepQueue {
  const service = queueServiceFromSettings(env);
  return new StorageStepQueue(service.getQueueClient(settings.stepQueue), { encoding: settings.messageEncoding });
}

export interface App {
  settings: AppSettings;
  runtime: WorkflowRuntime;
  store: CheckpointStore;
  logger: Logger;
}

/** The app as the settings describe it: store, step queue, workflows and the runtime over them. */
export function createApp(env: Env = process.env, overrides: { queue?: StepQueue; logger?: Logger; workflows?: WorkflowLookup } = {}): App {
  const settings = readSettings(env);
  const store = createStore(settings, env);
  const logger = overrides.logger ?? consoleLogger();
  const runtime = new WorkflowRuntime({
    store,
    queue: overrides.queue ?? createStepQueue(settings, env),
    workflows:
      overrides.workflows ??
      shippedWorkflows(settings.approvalTimeoutSeconds === undefined ? {} : { approvalTimeoutSeconds: settings.approvalTimeoutSeconds }),
    logger,
    followUpGraceMs: settings.followUpGraceSeconds * 1000,
  });
  return { settings, runtime, store, logger };
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  return parsed;
}

function isLoopback(endpoint: string): boolean {
  try {
    const { hostname } = new URL(endpoint);
    return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  } catch {
    return false;
  }
}

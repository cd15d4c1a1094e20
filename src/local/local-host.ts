import path from 'node:path';
import type { QueueClient } from '@azure/storage-queue';
import { findEntryFiles } from './app-files';
import { applySettings, readLocalSettings, resolveSettingReferences } from './app-settings';
import { CoreApi } from './core-api';
import { loadAppWithCore } from './core-module';
import { catalogFunctions, unsupportedBindings, type CatalogEntry } from './function-catalog';
import { readHostConfig, type HostConfig } from './host-config';
import { maxRequestBodyBytes } from './http/request-body';
import { httpRouteFor, Router, type HttpRoute } from './http/router';
import { FunctionsHttpServer, type AdminApi } from './http/server';
import { negotiateCapabilities, type LibraryCapabilities } from './http/stream-proxy';
import { Invoker, writeLog } from './invoker';
import { consoleLogger, describeError, errorMessage, type HostLogger } from './logger';
import { assertValidQueueName, connectQueueService, type QueueConnection } from './queue/connection';
import { QueueListener } from './queue/queue-listener';
import { QueueOutputs, type QueueOutputTarget } from './queue/queue-outputs';
import { describeCheckpointStore, describeStorageSetting } from './settings-summary';
import { parseSchedule } from './timer/ncrontab';
import { TimerTrigger } from './timer/timer-trigger';

export interface LocalHostOptions {
  /** The app folder: its package.json `main`, host.json and local.settings.json are read from here. */
  appDir: string;
  /** Default: `Host.LocalHttpPort` of local.settings.json, else 7071. `0` picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Settings that override the environment and local.settings.json (written to `process.env`, restored on stop). */
  env?: Record<string, string | undefined>;
  logger?: HostLogger;
  /**
   * How long a received queue message stays invisible while it runs (renewed at half time).
   * The Functions host uses 10 minutes; a short lease lets a test see redelivery after a crash quickly.
   */
  queueLeaseSeconds?: number;
  /** How long stop() waits for running invocations. Default 5 s. */
  shutdownGraceMs?: number;
  /** A first banner line, e.g. why this host runs instead of Core Tools. */
  banner?: string;
}

export interface LocalHost {
  /** `http://127.0.0.1:<port>`: the origin; admin routes are under it. */
  url: string;
  /** `url` plus the route prefix, e.g. `http://127.0.0.1:7071/api`. */
  apiUrl: string;
  port: number;
  functions: FunctionSummary[];
  stop(): Promise<void>;
}

export interface FunctionSummary {
  name: string;
  trigger: string;
  /** The URL template for HTTP functions, the queue for queue triggers, the schedule for timers. */
  detail: string;
  methods?: string[];
  disabled: boolean;
}

const defaultPort = 7071;
const defaultLeaseSeconds = 600;
/** The Functions host names a queue's poison queue this way; it is not configurable. */
const poisonQueueOf = (queue: string): string => `${queue}-poison`;

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const appDir = path.resolve(options.appDir);
  const logger = options.logger ?? consoleLogger();
  const graceMs = options.shutdownGraceMs ?? 5000;
  const leaseSeconds = options.queueLeaseSeconds ?? defaultLeaseSeconds;
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 2 || leaseSeconds > 7 * 24 * 3600) {
    throw new Error(`queueLeaseSeconds must be an integer from 2 to 604800, got ${leaseSeconds}`);
  }

  const localSettings = readLocalSettings(appDir);
  const cleanup: (() => Promise<void> | void)[] = [];
  cleanup.push(applySettings(localSettings.values, options.env ?? {}));
  const runCleanup = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn(`Error while stopping: ${describeError(error)}`);
      }
    }
  };

  try {
    if (options.banner) logger.info(options.banner);
    const hostConfig = readHostConfig(appDir);
    const entryFiles = findEntryFiles(appDir);
    const core = new CoreApi((level, category, message) => {
      if (category === 'system' && level !== 'warning' && level !== 'error' && level !== 'critical') return;
      writeLog(logger, level, message);
    });
    cleanup.push(loadAppWithCore(core, appDir, entryFiles, [__dirname]));
    if (!core.hasProgrammingModel() || core.functions.size === 0) {
      throw new Error(
        `The app registered no functions: ${entryFiles.map((file) => path.relative(appDir, file)).join(', ')} ` +
          'loaded, but none called app.http / app.storageQueue / app.timer from @azure/functions',
      );
    }
    const catalog = catalogFunctions(core.functions.values(), process.env);
    for (const entry of catalog) warnAboutUnsupported(entry, logger);
    const active = catalog.filter((entry) => !entry.disabled && entry.kind !== 'unsupported');

    const connections = new QueueConnections();
    const outputs = new QueueOutputs(await queueOutputTargets(active, connections), hostConfig.queues.messageEncoding);
    const invoker = new Invoker(core, logger, hostConfig.functionTimeoutMs, (fn, response) => outputs.deliver(fn, response));

    const capabilities: LibraryCapabilities = await negotiateCapabilities(core.getProgrammingModel());
    cleanup.push(() => capabilities.close());

    const routes = active.map((entry) => (entry.kind === 'http' ? httpRouteFor(entry.fn) : undefined)).filter(isDefined);
    const queueListeners = await Promise.all(
      active
        .filter((entry) => entry.kind === 'queue')
        .map((entry) => createQueueListener(entry, connections, hostConfig, leaseSeconds, invoker, logger)),
    );
    const timers = active
      .filter((entry) => entry.kind === 'timer')
      .map((entry) => createTimerTrigger(entry, invoker, logger));

    for (const hook of core.hooks('appStart')) {
      // App hooks share one hookData object between appStart and appTerminate, as in the worker.
      await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData, functionAppDirectory: appDir });
    }
    cleanup.push(async () => {
      for (const hook of core.hooks('appTerminate')) await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData });
    });

    const admin = adminApi(catalog, timers, invoker);
    const server = new FunctionsHttpServer({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? localSettings.localHttpPort ?? defaultPort,
      routePrefix: hostConfig.routePrefix,
      router: new Router(routes),
      invoker,
      admin,
      logger,
      maxBodyBytes: maxRequestBodyBytes,
      streamProxyUri: capabilities.httpUri,
    });
    const port = await server.listen();
    cleanup.push(async () => {
      await server.close(graceMs);
      const unfinished = await invoker.drain(graceMs);
      if (unfinished > 0) logger.warn(`${unfinished} invocation(s) still running after ${graceMs} ms; stopping anyway`);
    });

    const listenHost = options.host ?? '127.0.0.1';
    const reachableHost = ['0.0.0.0', '::', '127.0.0.1'].includes(listenHost) ? '127.0.0.1' : listenHost;
    const url = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`;
    const apiUrl = hostConfig.routePrefix ? `${url}/${hostConfig.routePrefix}` : url;
    const displayBase = ['0.0.0.0', '::', '127.0.0.1'].includes(listenHost) ? `http://localhost:${port}` : url;
    const summaries = summarize(catalog, routes, hostConfig, displayBase, queueListeners);

    printBanner(logger, summaries, catalog, capabilities, appDir);

    for (const { listener } of queueListeners) listener.start();
    for (const timer of timers) timer.trigger.start();
    cleanup.push(async () => {
      for (const timer of timers) timer.trigger.stop();
      await Promise.all(queueListeners.map(({ listener }) => listener.stop(graceMs)));
    });

    logger.info(`Local Functions host ready at ${url}`);

    let stopping: Promise<void> | undefined;
    return {
      url,
      apiUrl,
      port,
      functions: summaries,
      stop: () => {
        stopping ??= (async () => {
          logger.info('Stopping the local Functions host...');
          await runCleanup();
          logger.info('Local Functions host stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanup();
    throw error;
  }
}

class QueueConnections {
  readonly #byName = new Map<string, Promise<QueueConnection>>();

  get(connectionName: unknown): Promise<QueueConnection> {
    const name = typeof connectionName === 'string' && connectionName.trim() !== '' ? connectionName.trim() : 'AzureWebJobsStorage';
    let connection = this.#byName.get(name);
    if (!connection) {
      connection = connectQueueService(name, process.env);
      this.#byName.set(name, connection);
    }
    return connection;
  }
}

function queueNameOf(entry: CatalogEntry, binding: Record<string, unknown>, what: string): string {
  if (typeof binding.queueName !== 'string' || binding.queueName.trim() === '') {
    throw new Error(`Function '${entry.name}': ${what} has no queueName`);
  }
  if (binding.queueName.includes('{')) {
    throw new Error(`Function '${entry.name}': ${what} queueName "${binding.queueName}" uses a binding expression, which the local host does not support`);
  }
  const queueName = resolveSettingReferences(binding.queueName, `Function '${entry.name}' ${what} queueName`).toLowerCase();
  assertValidQueueName(queueName, `Function '${entry.name}' ${what}`);
  return queueName;
}

async function queueOutputTargets(entries: readonly CatalogEntry[], connections: QueueConnections): Promise<QueueOutputTarget[]> {
  const targets: QueueOutputTarget[] = [];
  for (const entry of entries) {
    for (const [bindingName, binding] of Object.entries(entry.fn.metadata.bindings)) {
      if (binding.direction !== 'out' || String(binding.type).toLowerCase() !== 'queue') continue;
      const queueName = queueNameOf(entry, binding, `output binding '${bindingName}'`);
      const connection = await connections.get(binding.connection);
      targets.push({ functionName: entry.name, bindingName, queue: connection.client.getQueueClient(queueName) });
    }
  }
  return targets;
}

interface QueueListenerEntry {
  entry: CatalogEntry;
  listener: QueueListener;
  queueName: string;
  endpoint: string;
}

async function createQueueListener(
  entry: CatalogEntry,
  connections: QueueConnections,
  hostConfig: HostConfig,
  leaseSeconds: number,
  invoker: Invoker,
  logger: HostLogger,
): Promise<QueueListenerEntry> {
  const queueName = queueNameOf(entry, entry.trigger, 'queue trigger');
  const connection = await connections.get(entry.trigger.connection);
  const queue: QueueClient = connection.client.getQueueClient(queueName);
  const listener = new QueueListener({
    fn: entry.fn,
    bindingName: entry.bindingName,
    queueName,
    queue,
    poisonQueue: connection.client.getQueueClient(poisonQueueOf(queueName)),
    settings: hostConfig.queues,
    leaseSeconds,
    invoker,
    logger,
  });
  return { entry, listener, queueName, endpoint: connection.endpoint };
}

function createTimerTrigger(entry: CatalogEntry, invoker: Invoker, logger: HostLogger): { entry: CatalogEntry; trigger: TimerTrigger } {
  const scheduleText = entry.trigger.schedule;
  if (typeof scheduleText !== 'string' || scheduleText.trim() === '') {
    throw new Error(`Function '${entry.name}': the timer trigger has no schedule`);
  }
  let schedule;
  try {
    schedule = parseSchedule(resolveSettingReferences(scheduleText, `Function '${entry.name}' schedule`));
  } catch (error) {
    throw new Error(`Function '${entry.name}': ${errorMessage(error)}`);
  }
  const trigger = new TimerTrigger({
    fn: entry.fn,
    bindingName: entry.bindingName,
    schedule,
    runOnStartup: entry.trigger.runOnStartup === true,
    invoker,
    logger,
  });
  return { entry, trigger };
}

function adminApi(catalog: readonly CatalogEntry[], timers: { entry: CatalogEntry; trigger: TimerTrigger }[], invoker: Invoker): AdminApi {
  return {
    listFunctions: () =>
      catalog.map((entry) => ({ name: entry.name, trigger: entry.triggerType, isDisabled: entry.disabled })),
    invokeFunction: (name, input) => {
      const entry = catalog.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      if (!entry) return { kind: 'notFound' };
      if (entry.disabled) return { kind: 'rejected', reason: `Function ${entry.name} is disabled` };
      if (entry.kind === 'timer') {
        timers.find((timer) => timer.entry === entry)?.trigger.runNow();
        return { kind: 'started' };
      }
      if (entry.kind === 'queue') {
        // As the host's admin API does: the input becomes the message, without going through the queue.
        const text = input ?? '';
        void invoker
          .invoke({
            fn: entry.fn,
            inputData: [{ name: entry.bindingName, data: { string: text } }],
            triggerMetadata: { QueueTrigger: { string: text }, DequeueCount: { json: '1' } },
            reason: 'This function was programmatically called via the host APIs.',
          })
          .catch(() => undefined);
        return { kind: 'started' };
      }
      return { kind: 'rejected', reason: `Function ${entry.name} has a ${entry.triggerType}; call its route instead` };
    },
  };
}

function summarize(
  catalog: readonly CatalogEntry[],
  routes: readonly HttpRoute[],
  hostConfig: HostConfig,
  displayBase: string,
  queueListeners: readonly QueueListenerEntry[],
): FunctionSummary[] {
  return catalog.map((entry): FunctionSummary => {
    const route = routes.find((candidate) => candidate.fn === entry.fn);
    if (route) {
      const prefix = hostConfig.routePrefix ? `/${hostConfig.routePrefix}` : '';
      return {
        name: entry.name,
        trigger: entry.triggerType,
        detail: `${displayBase}${prefix}/${route.route.template}`,
        methods: route.methods,
        disabled: entry.disabled,
      };
    }
    const queue = queueListeners.find((candidate) => candidate.entry === entry);
    if (queue) {
      return { name: entry.name, trigger: entry.triggerType, detail: `queue '${queue.queueName}' at ${queue.endpoint}`, disabled: false };
    }
    if (entry.kind === 'timer') {
      const schedule = String(entry.trigger.schedule);
      return {
        name: entry.name,
        trigger: entry.triggerType,
        detail: `schedule '${schedule}' (UTC)${entry.trigger.runOnStartup === true ? ', runOnStartup' : ''}`,
        disabled: entry.disabled,
      };
    }
    return { name: entry.name, trigger: entry.triggerType, detail: 'not run by the local host', disabled: entry.disabled };
  });
}

function printBanner(
  logger: HostLogger,
  summaries: readonly FunctionSummary[],
  catalog: readonly CatalogEntry[],
  capabilities: LibraryCapabilities,
  appDir: string,
): void {
  const lines = [`Local Functions host serving ${appDir}`, '', 'Functions:', ''];
  for (const summary of summaries) {
    const methods = summary.methods ? `[${summary.methods.length > 0 ? summary.methods.join(',') : 'ALL'}] ` : '';
    const disabled = summary.disabled ? ' (disabled)' : '';
    lines.push(`        ${summary.name}: ${methods}${summary.methods ? summary.detail : `${summary.trigger}, ${summary.detail}`}${disabled}`);
  }
  lines.push('');
  lines.push(describeCheckpointStore(process.env));
  lines.push(describeStorageSetting(process.env));
  if (capabilities.httpUri) lines.push('HTTP streaming: enabled by app.setup({ enableHttpStream: true })');
  const keyed = catalog.filter((entry) => entry.kind === 'http' && ['function', 'admin'].includes(String(entry.trigger.authLevel)));
  if (keyed.length > 0) {
    lines.push(
      `Function keys are not checked locally. In Azure, ${keyed.length} HTTP function(s) with authLevel "function" ` +
        'need a key: ?code=<key> or the x-functions-key header.',
    );
  }
  logger.info(lines.join('\n'));
}

function warnAboutUnsupported(entry: CatalogEntry, logger: HostLogger): void {
  if (entry.disabled) {
    logger.warn(`Function '${entry.name}' is disabled (AzureWebJobs.${entry.name}.Disabled)`);
    return;
  }
  if (entry.kind === 'unsupported') {
    logger.warn(`Function '${entry.name}' has a ${entry.triggerType}, which the local host does not run`);
    return;
  }
  const unsupported = unsupportedBindings(entry);
  if (unsupported.length > 0) {
    logger.warn(`Function '${entry.name}': the local host does not provide bindings ${unsupported.join(', ')}; they stay empty`);
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

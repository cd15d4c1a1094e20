#!/usr/bin/env node
/**
 * `npm start`: Azurite (unless one already answers), then the Functions host: `func start` where
 * Azure Functions Core Tools is installed, else the project's local host on port 7071.
 *   node dist/src/local/start.js [--port N]   (0: a free port)
 * Ctrl+C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnAzurite, type AzuriteProcess } from './azurite-process';
import { findExecutable } from './find-executable';
import { integerArgument, startupErrorText } from './host';
import { emulatorPorts, resolveLaunchSettings, usesLocalEmulator } from './launch-settings';
import { startLocalHost, type LocalHost } from './local-host';
import { consoleLogger, describeError, type HostLogger } from './logger';
import { stopOnSignals } from './shutdown';
import { portAnswers } from './tcp-probe';

/** dist/src/local/start.js → the project folder. */
const projectDir = path.resolve(__dirname, '..', '..', '..');
const azuriteDataDir = path.join(projectDir, '.data', 'azurite');
const defaultPort = 7071;

async function main(): Promise<void> {
  const logger = consoleLogger();
  let port: number;
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' } }, strict: true, allowPositionals: false });
    port = values.port === undefined ? defaultPort : integerArgument('--port', values.port, 0, 65535);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nUsage: npm start -- [--port N]`);
    process.exit(2);
  }

  const settings = resolveLaunchSettings(projectDir);
  if (!settings.localSettingsFound) {
    logger.info('local.settings.json not found: using the built-in defaults (copy local.settings.sample.json to change them)');
  }
  const defaulted = Object.keys(settings.defaults);
  if (defaulted.length > 0) logger.info(`Default settings in use: ${defaulted.map((name) => `${name}=${settings.defaults[name]}`).join(', ')}`);
  Object.assign(process.env, settings.defaults);

  let azurite: AzuriteProcess | undefined;
  let host: LocalHost | undefined;
  let func: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    if (func) await stopFunc(func);
    await host?.stop();
    await azurite?.stop();
  };
  // Last resort if this process dies another way: never leave Azurite or func behind.
  process.once('exit', () => {
    if (func && func.exitCode === null) func.kill('SIGKILL');
    if (azurite?.pid && azurite.isRunning()) {
      try {
        process.kill(azurite.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
  stopOnSignals(stopAll, (message) => logger.info(message));

  try {
    if (usesLocalEmulator(settings.effective.AzureWebJobsStorage)) {
      azurite = await ensureAzurite(logger);
      void azurite?.exited.then(() => {
        if (!stopping) logger.warn('Azurite exited unexpectedly; queue triggers keep retrying until storage answers again');
      });
    } else {
      logger.info('AzureWebJobsStorage is not the local emulator: not starting Azurite');
    }

    const funcPath = findExecutable('func', [path.join(projectDir, 'node_modules', '.bin')]);
    if (funcPath) {
      logger.info(`Starting Azure Functions Core Tools: ${funcPath} start --port ${port}`);
      func = spawn(funcPath, ['start', '--port', String(port)], {
        cwd: projectDir,
        stdio: 'inherit',
        env: process.env,
        shell: process.platform === 'win32' && /\.(cmd|bat)$/i.test(funcPath),
      });
      func.once('exit', (code, signal) => {
        logger.info(`func exited (${signal ?? `code ${code}`})`);
        stopping = true;
        void Promise.resolve(azurite?.stop()).then(() => process.exit(code ?? 0));
      });
      return;
    }

    host = await startLocalHost({
      appDir: projectDir,
      port,
      banner: 'Local Functions host (Core Tools not found)',
      logger,
    });
    logger.info(`API: http://localhost:${host.port}/api  (Ctrl+C stops the host${azurite ? ' and Azurite' : ''})`);
  } catch (error) {
    logger.error(`npm start failed: ${startupErrorText(error)}`);
    await stopAll().catch((stopError: unknown) => logger.error(describeError(stopError)));
    process.exit(1);
  }
}

/**
 * func shares our terminal, so a Ctrl+C reaches it directly and it shuts down by itself; a
 * second SIGINT would cut that short. Signal it only when it is still running after a moment
 * (we were stopped some other way), and kill it if it does not exit.
 */
async function stopFunc(func: ChildProcess): Promise<void> {
  const running = (): boolean => func.exitCode === null && func.signalCode === null;
  if (!running()) return;
  const exited = new Promise<void>((resolve) => func.once('exit', () => resolve()));
  const within = (ms: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
  if (await within(2000)) return;
  func.kill('SIGINT');
  if (await within(15_000)) return;
  func.kill('SIGKILL');
  await exited;
}

/** Reuses an emulator that already answers on the queue port, else starts Azurite with data in .data/azurite. */
async function ensureAzurite(logger: HostLogger): Promise<AzuriteProcess | undefined> {
  if (await portAnswers('127.0.0.1', emulatorPorts.queue)) {
    logger.info(`Storage emulator already answers on 127.0.0.1:${emulatorPorts.queue}: using it (not starting Azurite)`);
    return undefined;
  }
  const blobOrTableBusy =
    (await portAnswers('127.0.0.1', emulatorPorts.blob)) || (await portAnswers('127.0.0.1', emulatorPorts.table));
  fs.mkdirSync(azuriteDataDir, { recursive: true });
  logger.info(`Starting Azurite (data in ${path.relative(process.cwd(), azuriteDataDir) || azuriteDataDir})...`);
  const azurite = await spawnAzurite({
    resolveFrom: projectDir,
    services: blobOrTableBusy ? 'queue' : 'all',
    queuePort: emulatorPorts.queue,
    blobPort: emulatorPorts.blob,
    tablePort: emulatorPorts.table,
    location: azuriteDataDir,
    onOutput: (line) => logger.info(`[azurite] ${line}`),
  });
  const services = blobOrTableBusy
    ? `queue on 127.0.0.1:${azurite.queuePort} (blob/table ports are busy; queue only)`
    : `blob ${azurite.blobPort}, queue ${azurite.queuePort}, table ${azurite.tablePort} on 127.0.0.1`;
  logger.info(`Azurite started: ${services}`);
  return azurite;
}

if (require.main === module) void main();

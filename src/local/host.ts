#!/usr/bin/env node
/**
 * The local Functions host as a command:
 *   node dist/src/local/host.js [--app DIR] [--port N] [--host ADDRESS] [--queue-lease-seconds N]
 * It prints "Local Functions host ready at http://..." once it serves requests, and stops
 * cleanly on SIGINT / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startLocalHost } from './local-host';
import { AppLoadError } from './core-module';
import { consoleLogger, describeError } from './logger';
import { stopOnSignals } from './shutdown';

const usage = 'Usage: node dist/src/local/host.js [--app DIR] [--port N] [--host ADDRESS] [--queue-lease-seconds N]';

export interface HostCommandOptions {
  appDir: string;
  port: number | undefined;
  host: string | undefined;
  queueLeaseSeconds: number | undefined;
}

export function parseHostArguments(args: readonly string[]): HostCommandOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'queue-lease-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return {
    appDir: values.app ?? process.cwd(),
    port: values.port === undefined ? undefined : integerArgument('--port', values.port, 0, 65535),
    host: values.host,
    queueLeaseSeconds:
      values['queue-lease-seconds'] === undefined
        ? undefined
        : integerArgument('--queue-lease-seconds', values['queue-lease-seconds'], 2, 604800),
  };
}

export function integerArgument(flag: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return number;
}

async function main(): Promise<void> {
  const logger = consoleLogger();
  let options: HostCommandOptions;
  try {
    options = parseHostArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
  process.on('unhandledRejection', (reason) => {
    logger.error(`Unhandled promise rejection in the app: ${describeError(reason)}`);
  });
  try {
    const host = await startLocalHost({
      appDir: options.appDir,
      port: options.port,
      host: options.host,
      queueLeaseSeconds: options.queueLeaseSeconds,
      logger,
    });
    stopOnSignals(() => host.stop(), (message) => logger.info(message));
  } catch (error) {
    logger.error(`The local Functions host could not start: ${startupErrorText(error)}`);
    process.exit(1);
  }
}

/** Configuration mistakes read best as one line; a failing app file needs its stack. */
export function startupErrorText(error: unknown): string {
  if (error instanceof AppLoadError) return `${error.message}\n${describeError(error.cause)}`;
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) void main();

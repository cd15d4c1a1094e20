import { spawn, type ChildProcess } from 'node:child_process';
import Module from 'node:module';
import path from 'node:path';

export interface AzuriteProcessOptions {
  /** Where to resolve the `azurite` package from (a folder with node_modules above or in it). */
  resolveFrom: string;
  /** `queue` starts the queue service alone, which starts faster. */
  services: 'all' | 'queue';
  host?: string;
  /** `0` lets Azurite pick a free port; the real ports are read from its output. */
  queuePort: number;
  blobPort?: number;
  tablePort?: number;
  /** A folder for Azurite's data; in memory when absent. */
  location?: string;
  /** Extra lines of Azurite output (errors, access logs) go here. */
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface AzuriteProcess {
  queuePort: number;
  blobPort: number | undefined;
  tablePort: number | undefined;
  pid: number | undefined;
  isRunning(): boolean;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs Azurite as a child process. It stops when this process stops: on `stop()`, and also when
 * this process dies without calling it, because the child watches its stdin pipe and shuts down
 * when the pipe closes.
 */
export async function spawnAzurite(options: AzuriteProcessOptions): Promise<AzuriteProcess> {
  const script = azuriteScript(options.resolveFrom, options.services);
  const host = options.host ?? '127.0.0.1';
  const args = ['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--queueHost', host, '--queuePort', String(options.queuePort)];
  if (options.services === 'all') {
    args.push('--blobHost', host, '--blobPort', String(options.blobPort ?? 0), '--tableHost', host, '--tablePort', String(options.tablePort ?? 0));
  }
  if (options.location) args.push('--location', options.location);
  else args.push('--inMemoryPersistence');

  // The watchdog: shut Azurite down (gracefully) when our end of its stdin goes away. The pipe
  // is unref'd so that it does not keep Azurite alive once Azurite has closed its servers.
  const watchdog =
    "process.stdin.on('end',()=>process.kill(process.pid,'SIGTERM'));process.stdin.on('error',()=>{});" +
    'process.stdin.resume();process.stdin.unref();require(process.argv[1]);';
  const child = spawn(process.execPath, ['-e', watchdog, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    // Its own process group: a Ctrl+C in the terminal reaches only us, and we stop Azurite once.
    // (Azurite throws when it gets a second stop signal while closing.)
    detached: process.platform !== 'win32',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
  const output: string[] = [];
  const expected = options.services === 'all' ? ['blob', 'queue', 'table'] : ['queue'];

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output.join('\n')}`)),
      options.startTimeoutMs ?? 60_000,
    );
    const onLine = (line: string): void => {
      const listening = /Azurite (Blob|Queue|Table) service (?:is )?successfully listen\w* (?:at|on) https?:\/\/[^\s:]+:(\d+)/i.exec(line);
      if (listening?.[1] && listening[2]) {
        ports[listening[1].toLowerCase() as 'blob' | 'queue' | 'table'] = Number(listening[2]);
        if (expected.every((service) => ports[service as 'queue'] !== undefined)) {
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      output.push(line);
      options.onOutput?.(line);
    };
    readLines(child, onLine);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited during start-up (code ${code}, signal ${signal}):\n${output.join('\n')}`));
    });
  });

  try {
    await ready;
  } catch (error) {
    await terminate(child, exited);
    throw error;
  }
  return {
    queuePort: ports.queue as number,
    blobPort: ports.blob,
    tablePort: ports.table,
    pid: child.pid,
    isRunning: () => child.exitCode === null && child.signalCode === null,
    exited,
    stop: () => terminate(child, exited),
  };
}

function azuriteScript(resolveFrom: string, services: 'all' | 'queue'): string {
  let packageJson: string;
  try {
    packageJson = Module.createRequire(path.join(path.resolve(resolveFrom), 'noop.js')).resolve('azurite/package.json');
  } catch {
    throw new Error(`The azurite package is not installed (looked from ${resolveFrom}); run npm install`);
  }
  const dir = path.dirname(packageJson);
  return path.join(dir, 'dist', 'src', services === 'all' ? 'azurite.js' : path.join('queue', 'main.js'));
}

function readLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onLine(line);
    });
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 5000);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
  await exited;
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './free-port';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HostProcess {
  port: number;
  /** `http://127.0.0.1:<port>/api` */
  api: string;
  child: ChildProcess;
  output: () => string;
  isAlive: () => boolean;
  /** SIGTERM and wait; `child.kill('SIGKILL')` simulates a crash. */
  stop(): Promise<void>;
}

/**
 * The local Functions host in a child process over the built app in dist/, serving `appDir`, with
 * a short queue lease so a crashed invocation's message comes back quickly. Resolves once ready.
 */
export async function startHostProcess(appDir: string, env: Record<string, string>, port?: number): Promise<HostProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'local', 'host.js'), '--app', appDir, '--port', String(listenPort), '--queue-lease-seconds', '3'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isAlive = () => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + 30_000;
  while (!/Local Functions host ready at/.test(output)) {
    if (!isAlive() || Date.now() > deadline) throw new Error(`the local host did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port: listenPort,
    api: `http://127.0.0.1:${listenPort}/api`,
    child,
    output: () => output,
    isAlive,
    stop: async () => {
      if (isAlive()) child.kill('SIGTERM');
      await exited;
    },
  };
}

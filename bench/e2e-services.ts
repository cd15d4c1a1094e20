import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { spawnAzurite, type AzuriteProcess } from '../src/local/azurite-process';

/** The repository root, seen from dist/bench. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Azurite's documented development account and key (public, the same in every Azurite). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type CosmosRequestKind = 'point read' | 'create' | 'upsert' | 'query' | 'replace' | 'delete' | 'metadata';

/** Counts the requests the Cosmos protocol server receives, by kind. */
export class CosmosRequestCounter {
  readonly counts = new Map<CosmosRequestKind, number>();

  record(request: IncomingMessage): void {
    const kind = classify(request);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  snapshot(): Record<CosmosRequestKind, number> {
    const kinds: CosmosRequestKind[] = ['point read', 'create', 'upsert', 'query', 'replace', 'delete', 'metadata'];
    return Object.fromEntries(kinds.map((kind) => [kind, this.counts.get(kind) ?? 0])) as Record<CosmosRequestKind, number>;
  }

  reset(): void {
    this.counts.clear();
  }
}

function classify(request: IncomingMessage): CosmosRequestKind {
  const url = request.url ?? '';
  const header = (name: string) => String(request.headers[name] ?? '').toLowerCase();
  if (/\/docs\/[^/]+\/?$/.test(url)) {
    if (request.method === 'GET') return 'point read';
    if (request.method === 'PUT') return 'replace';
    if (request.method === 'DELETE') return 'delete';
  }
  if (/\/docs\/?$/.test(url) && request.method === 'POST') {
    if (header('x-ms-documentdb-isquery') === 'true' || header('content-type').startsWith('application/query+json')) return 'query';
    if (header('x-ms-documentdb-is-upsert') === 'true') return 'upsert';
    return 'create';
  }
  return 'metadata';
}

export interface LocalCosmos {
  endpoint: string;
  key: string;
  counter: CosmosRequestCounter;
  stop(): Promise<void>;
}

/** The Cosmos DB protocol server in this process, on a free port, counting every request. */
export async function startCosmos(): Promise<LocalCosmos> {
  const server: Server = createHttpServer({ keepAlive: true });
  const counter = new CosmosRequestCounter();
  server.on('request', (request: IncomingMessage) => counter.record(request));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    key: Buffer.from('bench-e2e').toString('base64'),
    counter,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface LocalQueue {
  azurite: AzuriteProcess;
  connectionString: string;
  stop(): Promise<void>;
}

/** Azurite's queue service in a child process, data in memory. */
export async function startQueue(): Promise<LocalQueue> {
  const azurite = await spawnAzurite({ resolveFrom: ROOT, services: 'queue', queuePort: 0 });
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};QueueEndpoint=http://127.0.0.1:${azurite.queuePort}/${DEV_ACCOUNT};`;
  return { azurite, connectionString, stop: () => azurite.stop() };
}

export interface HostProcess {
  api: string;
  child: ChildProcess;
  /** Calls `listener` with each line the host prints, until the returned function is called. */
  onLine(listener: (line: string) => void): () => void;
  stop(): Promise<void>;
}

/**
 * The local Functions host over the built app (package.json main = dist/src/functions/*.js), in a
 * child process; `nodeArgs` go to node (e.g. --cpu-prof).
 */
export async function startHost(env: Record<string, string>, nodeArgs: string[] = []): Promise<HostProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'src', 'local', 'host.js'), '--app', ROOT, '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const listeners: Array<(line: string) => void> = [];
  let early = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (early.length < 20_000) early += `${line}\n`;
        for (const listener of listeners) listener(line);
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/Local Functions host ready at/.test(early)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the local host did not start:\n${early}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    api: `http://127.0.0.1:${port}/api`,
    child,
    onLine: (listener) => {
      listeners.push(listener);
      return () => {
        const at = listeners.indexOf(listener);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CosmosServerThread {
  endpoint: string;
  /** Any key works with this server; this one is well-formed base64 like a real account key. */
  key: string;
  stop(): Promise<void>;
}

/*
 * The Cosmos protocol server answers every query by scanning the whole container synchronously.
 * In a worker thread those scans use the other core instead of stalling the event loop of the
 * runtime under test, whose queue messages would otherwise outlive their visibility timeout.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHttpServer } = require(workerData.serverModule);
const server = createHttpServer();
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => {
  server.closeAllConnections();
  server.close(() => parentPort.close());
});
`;

/** Starts the Cosmos protocol server on 127.0.0.1 on a free port, in its own thread. */
export async function startCosmosServerThread(): Promise<CosmosServerThread> {
  const serverModule = createRequire(__filename).resolve('@vercel/cosmosdb-server');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { serverModule } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port: number }) => resolve(message.port));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the Cosmos server thread exited with code ${code} before listening`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    key: Buffer.from('local-cosmos-test-key').toString('base64'),
    stop: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

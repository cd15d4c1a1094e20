import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpServer, createHttpsServer } from '@vercel/cosmosdb-server';

/** One HTTP request the server received, as the SDK sent it. */
export interface RecordedRequest {
  method: string;
  /** Path and query string, e.g. `/dbs/supersteps/colls/checkpoints/docs`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body as text; complete once the response has been sent. */
  body: string;
}

export interface LocalCosmosServer {
  endpoint: string;
  /** Any key works with this server; this one is well-formed base64 like a real account key. */
  key: string;
  /** Every request received, oldest first. Clear it with `requests.length = 0`. */
  requests: RecordedRequest[];
  /**
   * With `tls: true` only: the agent clients must use. The server's bundled certificate is
   * self-signed and expired, so this agent skips verification; never do that outside tests.
   */
  agent?: HttpsAgent;
  stop(): Promise<void>;
}

export interface LocalCosmosServerOptions {
  /**
   * Serve HTTPS instead of HTTP. Only needed for token credentials: the Azure SDK refuses to send
   * a bearer token over plain HTTP.
   */
  tls?: boolean;
}

/** Client settings the local server needs: it has one region and no endpoint discovery. */
export const LOCAL_CONNECTION_POLICY = { enableEndpointDiscovery: false } as const;

/**
 * Starts an in-process Cosmos DB protocol server on 127.0.0.1 on a free port. It keeps data in
 * memory, ignores auth, reports every request charge as 1, never expires TTL, does not enforce the
 * item size limit and has no OFFSET/LIMIT; tests check those behaviours on the client side.
 */
export async function startCosmosServer(options: LocalCosmosServerOptions = {}): Promise<LocalCosmosServer> {
  const server: Server = options.tls ? createHttpsServer() : createHttpServer();
  const requests: RecordedRequest[] = [];
  server.on('request', (request) => {
    const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: '' };
    requests.push(recorded);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      recorded.body = Buffer.concat(chunks).toString('utf8');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const agent = options.tls ? new HttpsAgent({ rejectUnauthorized: false }) : undefined;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    key: Buffer.from('local-cosmos-test-key').toString('base64'),
    requests,
    ...(agent ? { agent } : {}),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        agent?.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A canned answer the fault proxy gives instead of forwarding. */
export interface FaultResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FaultProxy {
  endpoint: string;
  /** Requests the proxy answered itself. */
  faults: number;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of `target` that answers the requests `rule` picks with a canned
 * response (a 429, a 503, a 404 with a sub-status...) and forwards every other request unchanged.
 */
export async function startFaultProxy(
  target: string,
  rule: (request: { method: string; path: string; headers: IncomingHttpHeaders }) => FaultResponse | undefined,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { endpoint: '', faults: 0, stop: async () => {} };
  const server = createServer((request, response) => {
    const fault = rule({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
    if (fault) {
      proxy.faults++;
      request.resume();
      response.writeHead(fault.status, { 'content-type': 'application/json', 'x-ms-request-charge': '0', ...fault.headers });
      response.end(JSON.stringify(fault.body ?? { code: String(fault.status), message: `fault injected: ${fault.status}` }));
      return;
    }
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  proxy.stop = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return proxy;
}

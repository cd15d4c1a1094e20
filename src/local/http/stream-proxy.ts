import http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { ProgrammingModel } from '../core-types';
import type { InvocationOutcome } from '../invoker';
import { sendJsonError } from './json-error';
import { RequestBodyTooLargeError } from './request-body';

/**
 * With `app.setup({ enableHttpStream: true })` the library does not take HTTP data over RPC: it
 * opens its own HTTP server (reported as the `HttpUri` capability) and the host forwards each
 * request there, tagged with the invocation id, and relays the library's response back.
 */

export interface LibraryCapabilities {
  capabilities: Record<string, string>;
  /** Set when the app enabled HTTP streaming. */
  httpUri: string | undefined;
  /** Closes the library's proxy server, which the library itself never closes. */
  close(): Promise<void>;
}

/**
 * Asks the programming model for its capabilities, as the worker does once the app has loaded;
 * this also locks `app.setup`. The library creates its proxy server here; the only handle to it
 * is catching `http.createServer` during this call, so the host can close it on stop.
 */
export async function negotiateCapabilities(model: ProgrammingModel): Promise<LibraryCapabilities> {
  const created: Server[] = [];
  const originalCreateServer = http.createServer;
  const capturingCreateServer = ((...args: Parameters<typeof http.createServer>) => {
    const server = originalCreateServer(...args);
    created.push(server);
    return server;
  }) as typeof http.createServer;
  http.createServer = capturingCreateServer;
  let capabilities: Record<string, string>;
  try {
    capabilities = model.getCapabilities ? await model.getCapabilities({}) : {};
  } finally {
    http.createServer = originalCreateServer;
  }
  const httpUri = typeof capabilities.HttpUri === 'string' ? capabilities.HttpUri : undefined;
  if (httpUri) await waitUntilListening(httpUri);
  return {
    capabilities,
    httpUri,
    close: async () => {
      await Promise.all(
        created.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
              if (!server.listening) resolve();
            }),
        ),
      );
    },
  };
}

/** The library may report the URI before its server has bound the port; wait until it accepts. */
async function waitUntilListening(uri: string): Promise<void> {
  const { hostname, port } = new URL(uri);
  for (let attempt = 0; attempt < 50; attempt++) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The library's HTTP stream proxy at ${uri} did not start`);
}

class ByteLimit extends Transform {
  #seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.limit) callback(new RequestBodyTooLargeError(this.limit));
    else callback(null, chunk);
  }
}

export interface ForwardOptions {
  proxyUri: string;
  req: IncomingMessage;
  res: ServerResponse;
  invocationId: string;
  invocation: Promise<InvocationOutcome>;
  maxBodyBytes: number;
  onFailure(error: unknown): void;
}

/** Streams the request to the library's proxy and the library's response back to the client. */
export async function forwardThroughLibraryProxy(options: ForwardOptions): Promise<void> {
  const { req, res, invocationId } = options;
  const target = new URL(req.url ?? '/', options.proxyUri);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
  headers['x-ms-invocation-id'] = invocationId;
  headers['x-forwarded-host'] = req.headers.host ?? 'localhost';
  headers['x-forwarded-proto'] = 'http';

  let settled = false;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const proxyReq = http.request(target, { method: req.method, headers }, (proxyRes) => {
      const responseHeaders = { ...proxyRes.headers };
      delete responseHeaders['x-ms-invocation-id'];
      res.writeHead(proxyRes.statusCode ?? 502, responseHeaders);
      proxyRes.pipe(res);
      proxyRes.on('end', finish);
      proxyRes.on('error', () => {
        res.destroy();
        finish();
      });
    });
    const fail = (status: number, code: string, message: string): void => {
      proxyReq.destroy();
      sendJsonError(res, status, code, message, status === 413 ? { connection: 'close' } : {});
      finish();
    };
    proxyReq.on('error', () => {
      if (!settled && !res.headersSent) fail(502, 'BadGateway', 'The function did not produce a response');
      else finish();
    });
    const limit = new ByteLimit(options.maxBodyBytes);
    limit.on('error', (error) => {
      fail(413, 'PayloadTooLarge', error.message);
    });
    req.pipe(limit).pipe(proxyReq);

    options.invocation.then(
      (outcome) => {
        // The library answers through the proxy only when the handler returned a response.
        if (outcome.result === undefined || outcome.result === null) {
          if (!res.headersSent) {
            proxyReq.destroy();
            res.writeHead(204);
            res.end();
            finish();
          }
        }
      },
      (error: unknown) => {
        options.onFailure(error);
        if (!res.headersSent) fail(500, 'InternalServerError', 'The function failed; see the host log');
        else {
          res.destroy();
          finish();
        }
      },
    );
  });
}

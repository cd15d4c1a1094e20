import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Invoker } from '../invoker';
import { describeError, type HostLogger } from '../logger';
import { sendJson, sendJsonError } from './json-error';
import { declaredLength, readRequestBody, RequestBodyTooLargeError } from './request-body';
import type { Router } from './router';
import { httpResponseOf, requestUrl, toRpcHttpInvocation, writeRpcHttpResponse } from './rpc-http';
import { forwardThroughLibraryProxy } from './stream-proxy';

/** The host's admin API, a subset of the real one: status, the function list, and invoking a non-HTTP function. */
export interface AdminApi {
  listFunctions(): unknown[];
  /** Starts the function and returns without waiting, like the real host's `POST /admin/functions/{name}`. */
  invokeFunction(name: string, input: string | undefined): { kind: 'started' } | { kind: 'notFound' } | { kind: 'rejected'; reason: string };
}

export interface HttpServerOptions {
  host: string;
  port: number;
  routePrefix: string;
  router: Router;
  invoker: Invoker;
  admin: AdminApi;
  logger: HostLogger;
  maxBodyBytes: number;
  /** Set when the app enabled HTTP streaming; requests then go through the library's proxy. */
  streamProxyUri: string | undefined;
}

export class FunctionsHttpServer {
  readonly #server: http.Server;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #port = 0;

  constructor(private readonly options: HttpServerOptions) {
    // Node would refuse an HTTP/1.1 request without Host with an empty 400; #handle refuses it in the JSON shape.
    this.#server = http.createServer({ requireHostHeader: false }, (req, res) => {
      this.#inFlight += 1;
      res.on('close', () => {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) this.#idle?.();
      });
      this.#handle(req, res).catch((error: unknown) => {
        options.logger.error(`Unexpected error while serving ${req.method} ${req.url}: ${describeError(error)}`);
        sendJsonError(res, 500, 'InternalServerError', 'The local host failed to serve this request');
      });
    });
    // Long invocations are fine locally; the 230 s limit applies behind Azure's front end only.
    this.#server.requestTimeout = 0;
    // Requests Node's parser refuses never reach a handler: answer them in the JSON error shape too.
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const [status, reason] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
      const body = JSON.stringify({ error: { code: 'BadRequest', message: `the request could not be parsed (${error.code ?? error.message})` } });
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  get port(): number {
    return this.#port;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`Port ${this.options.port} on ${this.options.host} is in use; choose another with --port`)
            : error,
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : this.options.port;
        resolve(this.#port);
      });
    });
  }

  /** Stops accepting, lets running requests finish for up to `graceMs`, then drops the rest. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    if (this.#inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idle = resolve;
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      sendJsonError(res, 400, 'BadRequest', 'an HTTP/1.1 request needs a Host header');
      return;
    }
    const url = requestUrl(req, `${this.options.host}:${this.#port}`);
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      sendJsonError(res, 400, 'BadRequest', 'the Host header or the request target is not a valid URL');
      return;
    }

    if (/^\/admin(\/|$)/i.test(path)) {
      await this.#handleAdmin(method, path, req, res);
      return;
    }

    const routePath = this.#stripRoutePrefix(path);
    if (routePath === undefined) {
      sendJsonError(res, 404, 'NotFound', `No function matches ${method} ${path}`);
      return;
    }
    const match = this.options.router.match(method, routePath);
    if (match.kind === 'notFound') {
      sendJsonError(res, 404, 'NotFound', `No function matches ${method} ${path}`);
      return;
    }
    if (match.kind === 'methodNotAllowed') {
      sendJsonError(
        res,
        405,
        'MethodNotAllowed',
        `${method} is not allowed on ${path}; allowed: ${match.allowed.join(', ')}`,
        { allow: match.allowed.join(', ') },
      );
      return;
    }

    const length = declaredLength(req);
    if (length !== undefined && length > this.options.maxBodyBytes) {
      this.#sendTooLarge(res);
      return;
    }

    const { route, params } = match;
    const invocationId = randomUUID();
    const reason = `This function was programmatically called via the host APIs.`;
    if (this.options.streamProxyUri) {
      const { inputData, triggerMetadata } = toRpcHttpInvocation(route.bindingName, req, url, params, undefined);
      const invocation = this.options.invoker.invoke({ fn: route.fn, inputData, triggerMetadata, invocationId, reason });
      await forwardThroughLibraryProxy({
        proxyUri: this.options.streamProxyUri,
        req,
        res,
        invocationId,
        invocation,
        maxBodyBytes: this.options.maxBodyBytes,
        onFailure: () => {},
      });
      return;
    }

    let body: Buffer;
    try {
      body = await readRequestBody(req, this.options.maxBodyBytes);
    } catch (error) {
      if (error instanceof RequestBodyTooLargeError) this.#sendTooLarge(res);
      else req.destroy();
      return;
    }
    const { inputData, triggerMetadata } = toRpcHttpInvocation(route.bindingName, req, url, params, body);
    let outcome;
    try {
      outcome = await this.options.invoker.invoke({ fn: route.fn, inputData, triggerMetadata, invocationId, reason });
    } catch {
      // The invoker has logged the failure with its stack.
      sendJsonError(
        res,
        500,
        'InternalServerError',
        `Exception while executing function: Functions.${route.fn.metadata.name} (invocation ${invocationId}); see the host log`,
      );
      return;
    }
    const response = httpResponseOf(route.fn, outcome.response);
    if (!response) {
      res.writeHead(204);
      res.end();
      return;
    }
    try {
      writeRpcHttpResponse(res, response, method);
    } catch (error) {
      this.options.logger.error(`Function '${route.fn.metadata.name}' returned an unusable HTTP response: ${describeError(error)}`);
      sendJsonError(res, 500, 'InternalServerError', `Function ${route.fn.metadata.name} returned an invalid HTTP response`);
    }
  }

  #stripRoutePrefix(path: string): string | undefined {
    const prefix = this.options.routePrefix;
    if (prefix === '') return path;
    const lowerPath = path.toLowerCase();
    const lowerPrefix = `/${prefix.toLowerCase()}`;
    if (lowerPath === lowerPrefix) return '';
    if (lowerPath.startsWith(`${lowerPrefix}/`)) return path.slice(lowerPrefix.length);
    return undefined;
  }

  #sendTooLarge(res: ServerResponse): void {
    sendJsonError(
      res,
      413,
      'PayloadTooLarge',
      `The request body is larger than the host's limit of ${this.options.maxBodyBytes} bytes`,
      { connection: 'close' },
    );
  }

  async #handleAdmin(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { admin } = this.options;
    if (/^\/admin\/host\/status\/?$/i.test(path)) {
      if (method !== 'GET') return sendJsonError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${path}`, { allow: 'GET' });
      return sendJson(res, 200, { state: 'Running', processUptime: Math.round(process.uptime() * 1000) });
    }
    if (/^\/admin\/functions\/?$/i.test(path)) {
      if (method !== 'GET') return sendJsonError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${path}`, { allow: 'GET' });
      return sendJson(res, 200, admin.listFunctions());
    }
    const invoke = /^\/admin\/functions\/([^/]+)\/?$/i.exec(path);
    if (invoke?.[1]) {
      if (method !== 'POST') return sendJsonError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${path}`, { allow: 'POST' });
      let input: string | undefined;
      try {
        input = parseAdminInput(await readRequestBody(req, 1024 * 1024));
      } catch (error) {
        return sendJsonError(res, 400, 'BadRequest', error instanceof Error ? error.message : String(error));
      }
      const started = admin.invokeFunction(decodeURIComponent(invoke[1]), input);
      if (started.kind === 'notFound') return sendJsonError(res, 404, 'NotFound', `No function named ${invoke[1]}`);
      if (started.kind === 'rejected') return sendJsonError(res, 400, 'BadRequest', started.reason);
      res.writeHead(202);
      res.end();
      return;
    }
    sendJsonError(res, 404, 'NotFound', `No admin endpoint ${method} ${path}`);
  }
}

/** The admin invoke body is `{ "input": "..." }`; an empty body is allowed. */
function parseAdminInput(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('The body must be JSON like { "input": "..." }');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('The body must be a JSON object like { "input": "..." }');
  }
  const input = (json as { input?: unknown }).input;
  if (input === undefined || input === null) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

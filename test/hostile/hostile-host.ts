import http from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { startHostProcess, type HostProcess } from '../support/host-process';

/** The real app plus a probe that reports the host process's built-in prototypes. */
const HOSTILE_APP = path.join(__dirname, 'fixtures', 'app');

export interface HostileHost extends HostProcess {
  /** `http://127.0.0.1:<port>` */
  origin: string;
}

/** The local Functions host in a child process over the built app, as the end-to-end tests start it. */
export async function startHostileHost(env: Record<string, string>): Promise<HostileHost> {
  const host = await startHostProcess(HOSTILE_APP, env);
  return { ...host, origin: `http://127.0.0.1:${host.port}` };
}

/** One request exactly as written: the path is sent unnormalized, so `\`, `#`, `..` and bad escapes reach the host. */
export interface RawRequest {
  method: string;
  /** Starts with `/`; sent as it is. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** Drops the kept-alive connections, before the host stops. */
export function closeConnections(): void {
  agent.destroy();
}

export function sendRaw(port: number, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers };
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
    if (body !== undefined && !request.chunked) headers['content-length'] = String(body.length);
    const outgoing = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.path.slice(0, 120)}`)));
    outgoing.on('error', reject);
    if (body !== undefined && request.chunked) {
      // Several writes, so the host sees a streamed body of unknown length.
      const piece = 64 * 1024;
      for (let at = 0; at < body.length; at += piece) outgoing.write(body.subarray(at, at + piece));
    }
    outgoing.end(body !== undefined && !request.chunked ? body : undefined);
  });
}

/** The documented error shape, and nothing else: `{ error: { code, message } }` with strings. */
export function hasErrorShape(text: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).join() !== 'error') return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code !== '' && typeof message === 'string' && message !== '' && Object.keys(error).length === 2;
}

/** Own keys of the built-in prototypes of a process, as the fixture's probe reports them. */
export function prototypeKeys(): Record<string, string[]> {
  const keysOf = (target: object) => Reflect.ownKeys(target).map(String).sort();
  return {
    object: keysOf(Object.prototype),
    array: keysOf(Array.prototype),
    function: keysOf(Function.prototype),
    string: keysOf(String.prototype),
    error: keysOf(Error.prototype),
  };
}

/** Asks the host's probe whether anything it served changed a built-in prototype. */
export async function expectHostPrototypesUntouched(port: number): Promise<void> {
  const probe = await sendRaw(port, { method: 'GET', path: '/api/hostile-probe/prototypes' });
  expect(probe.status, probe.text).toBe(200);
  const report = JSON.parse(probe.text) as { baseline: unknown; now: unknown; objectPrototypeOfObjectPrototype: unknown; inherited: Record<string, unknown> };
  expect(report.now).toEqual(report.baseline);
  expect(report.objectPrototypeOfObjectPrototype).toBeNull();
  expect(report.inherited).toEqual({ polluted: null, comment: null, isAdmin: null, $t: null, v: null, arrayPolluted: null });
}

/** Polls a run's status until `done` accepts it. */
export async function waitForRun(port: number, runId: string, done: (status: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: RawResponse | undefined;
  while (Date.now() < deadline) {
    last = await sendRaw(port, { method: 'GET', path: `/api/runs/${encodeURIComponent(runId)}` });
    if (last.status === 200) {
      const status = JSON.parse(last.text);
      if (done(status)) return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not reach the expected state; last answer: ${last?.status} ${last?.text}`);
}

export const finished = (status: { status: string }) => ['Completed', 'Failed', 'Cancelled'].includes(status.status);

/** POSTs a JSON value (or raw text) and parses the answer. */
export async function postJson(port: number, route: string, body: unknown, raw?: string): Promise<{ status: number; body: any; text: string }> {
  const response = await sendRaw(port, {
    method: 'POST',
    path: `/api/${route}`,
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  let parsed: unknown;
  try {
    parsed = response.text ? JSON.parse(response.text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text: response.text };
}

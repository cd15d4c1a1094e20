import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from '../core-types';
import type { RegisteredFunction } from '../core-api';

/** Request headers as the Functions host hands them over: one string per name. */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function requestUrl(req: IncomingMessage, fallbackHost: string): string {
  const host = req.headers.host ?? fallbackHost;
  return `http://${host}${req.url ?? '/'}`;
}

/**
 * The `inputData` and `triggerMetadata` the host sends for an HTTP trigger. The query is left out
 * of the RPC request on purpose: the library then reads it from the URL, which keeps repeated keys.
 */
export function toRpcHttpInvocation(
  bindingName: string,
  req: IncomingMessage,
  url: string,
  params: Record<string, string>,
  body: Buffer | undefined,
): { inputData: { name: string; data: RpcTypedData }[]; triggerMetadata: Record<string, RpcTypedData> } {
  const headers = flattenHeaders(req);
  const http: RpcHttpData = {
    method: req.method ?? 'GET',
    url,
    headers,
    params,
  };
  if (body && body.length > 0) http.body = { bytes: body };
  const query: Record<string, string> = {};
  new URL(url).searchParams.forEach((value, key) => {
    query[key] = value;
  });
  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(headers) },
    Query: { json: JSON.stringify(query) },
  };
  for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };
  return { inputData: [{ name: bindingName, data: { http } }], triggerMetadata };
}

/** The HTTP response the function produced: its `$return` or a named `http` output binding. */
export function httpResponseOf(fn: RegisteredFunction, response: RpcInvocationResponse): RpcHttpData | undefined {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction !== 'out' || String(binding.type).toLowerCase() !== 'http') continue;
    const data = name === '$return' ? response.returnValue : response.outputData?.find((output) => output.name === name)?.data;
    if (data?.http) return data.http;
  }
  return undefined;
}

const hopByHopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'te', 'trailer']);
const bodilessStatuses = new Set([204, 205, 304]);

export function writeRpcHttpResponse(res: ServerResponse, http: RpcHttpData, method: string): void {
  const status = Number(http.statusCode ?? '200');
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new Error(`The function returned an invalid HTTP status code ${JSON.stringify(http.statusCode)}`);
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    if (!hopByHopHeaders.has(name.toLowerCase())) res.setHeader(name, value);
  }
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) {
    const existing = res.getHeader('set-cookie');
    const previous = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader('set-cookie', [...previous, ...cookies]);
  }
  const body = bodilessStatuses.has(status) ? Buffer.alloc(0) : typedDataToBuffer(http.body);
  res.setHeader('content-length', String(body.length));
  res.end(method === 'HEAD' ? undefined : body);
}

export function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string, 'utf8');
  if (typeof data.json === 'string') return Buffer.from(data.json, 'utf8');
  if (typeof data.int === 'number' || typeof data.double === 'number') return Buffer.from(String(data.int ?? data.double));
  return Buffer.alloc(0);
}

export function serializeCookie(cookie: RpcHttpCookie): string {
  const name = cookie.name ?? '';
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`Invalid cookie name ${JSON.stringify(name)}`);
  const parts = [`${name}=${encodeURIComponent(cookie.value ?? '')}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value;
  if (expires && expires.seconds !== null && expires.seconds !== undefined) {
    const ms = Number(expires.seconds) * 1000 + Math.floor((expires.nanos ?? 0) / 1e6);
    parts.push(`Expires=${new Date(ms).toUTCString()}`);
  }
  const maxAge = cookie.maxAge?.value;
  if (maxAge !== null && maxAge !== undefined) parts.push(`Max-Age=${Math.floor(maxAge)}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None', none: undefined }[cookie.sameSite ?? 'none'];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

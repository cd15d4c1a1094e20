import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServices, type Services } from '../e2e/harness';
import { fuzzCases, type FuzzCase, type FuzzTargets } from './fuzz-cases';
import { closeConnections, finished, hasErrorShape, postJson, sendRaw, startHostileHost, waitForRun, type HostileHost, type RawResponse } from './hostile-host';

/*
 * At least 1,000 generated bad requests (fixed seed) against one local Functions host over the
 * built app, Azurite and the Cosmos protocol server. The API may refuse them, but with a 4xx in
 * the JSON error shape, never a 5xx, and the host must keep serving normal runs afterwards.
 */

const SEED = 20_261_204;
const GENERATED = 1_100;
const CONCURRENCY = 8;

let services: Services;
let host: HostileHost;
let targets: FuzzTargets;

beforeAll(async () => {
  services = await startServices('fuzz');
  host = await startHostileHost(services.env);
  targets = await createTargets(host.port);
});

afterAll(async () => {
  closeConnections();
  await host?.stop();
  await services?.stop();
});

/** A finished run, a run waiting for an answer, and a spare waiting run the fuzz may cancel and fork. */
async function createTargets(port: number): Promise<FuzzTargets> {
  const done = await postJson(port, 'workflows/factor-pairs/runs', { input: 8, runId: 'fz-done' });
  const waiting = await postJson(port, 'workflows/approval/runs', { input: { title: 'keep waiting', amount: 1 }, runId: 'fz-wait' });
  const spare = await postJson(port, 'workflows/approval/runs', { input: { title: 'spare', amount: 2 }, runId: 'fz-spare' });
  for (const started of [done, waiting, spare]) expect(started.status, started.text).toBe(202);
  await waitForRun(port, 'fz-done', (s) => s.status === 'Completed');
  const waitingStatus = await waitForRun(port, 'fz-wait', (s) => s.status === 'Waiting');
  await waitForRun(port, 'fz-spare', (s) => s.status === 'Waiting');
  return { doneRun: 'fz-done', waitingRun: 'fz-wait', requestId: waitingStatus.pendingRequests[0].requestId, spareRun: 'fz-spare' };
}

interface Outcome {
  request: FuzzCase;
  response?: RawResponse;
  failure?: string;
}

async function sendAll(requests: readonly FuzzCase[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index]!;
      try {
        outcomes[index] = { request, response: await sendRaw(host.port, request) };
      } catch (error) {
        outcomes[index] = { request, failure: error instanceof Error ? error.message : String(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

/** One line per offending request, enough to replay it. */
function describeOutcome({ request, response, failure }: Outcome): string {
  const body = request.body === undefined ? '' : ` body(${request.body.length} bytes)=${JSON.stringify(request.body.toString().slice(0, 120))}`;
  const answer = failure ?? `${response!.status} ${response!.text.slice(0, 200)}`;
  return `[${request.kind}] ${request.method} ${request.path.slice(0, 200)}${request.chunked ? ' (chunked)' : ''}${body} -> ${answer}`;
}

describe('HTTP fuzz: bad requests get a 4xx in the JSON error shape, never a 5xx', () => {
  it(`answers over ${GENERATED} generated bad requests without a 5xx, and keeps serving runs`, async () => {
    const requests = fuzzCases(targets, GENERATED, SEED);
    expect(requests.length).toBeGreaterThanOrEqual(1_000);
    // The corpus covers what it claims to: every kind, bodies nested 100,000+ deep, raw / \ ? # in ids.
    const kindCounts = new Map<string, number>();
    for (const r of requests) kindCounts.set(r.kind.split(':')[0]!, (kindCounts.get(r.kind.split(':')[0]!) ?? 0) + 1);
    for (const kind of ['malformed-json', 'wrong-type', 'huge-body', 'deep-nesting', 'ids', 'unicode', 'missing', 'wrong-method', 'unknown-route', 'query', 'long-url', 'content-type', 'unknown-answer', 'cancel-unknown', 'fork-out-of-range']) {
      expect(kindCounts.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
    expect(requests.some((r) => r.kind === 'deep-nesting' && (r.body?.length ?? 0) >= 200_000)).toBe(true);
    for (const char of ['/', '\\', '?', '#']) expect(requests.some((r) => r.kind.endsWith(':reshaped') && r.path.slice(10).includes(char)), char).toBe(true);
    const outcomes = await sendAll(requests);

    const histogram = new Map<number | string, number>();
    for (const { response } of outcomes) {
      const key = response?.status ?? `no answer`;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
    }
    const unanswered = outcomes.filter((o) => o.failure !== undefined);
    const serverErrors = outcomes.filter((o) => o.response && o.response.status >= 500);
    const shapeless = outcomes.filter((o) => o.response && o.response.status >= 400 && o.response.status < 500 && o.request.method !== 'HEAD' && !hasErrorShape(o.response.text));
    const unexpected = outcomes.filter((o) => o.response && o.request.expect && !o.request.expect.includes(o.response.status));
    const statuses = [...histogram].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([status, count]) => `${status}: ${count}`).join(', ');
    console.log(
      `http fuzz (seed ${SEED}): ${outcomes.length} requests of ${kindCounts.size} kinds; statuses { ${statuses} }; ` +
        `5xx: ${serverErrors.length}; 4xx without the error shape: ${shapeless.length}; outside the expected statuses: ${unexpected.length}; unanswered: ${unanswered.length}`,
    );

    expect(serverErrors.map(describeOutcome), 'responses >= 500').toEqual([]);
    expect(unanswered.map(describeOutcome), 'requests without an answer').toEqual([]);
    expect(shapeless.map(describeOutcome), '4xx without { error: { code, message } }').toEqual([]);
    expect(unexpected.map(describeOutcome), 'statuses outside what the contract allows').toEqual([]);

    // The host is still up, logged no failure of its own, and still runs a workflow to the end.
    expect(host.isAlive()).toBe(true);
    expect(host.output()).not.toMatch(/unexpected error|Unhandled promise rejection|The local host failed/);
    const started = await postJson(host.port, 'workflows/factor-pairs/runs', { input: 8, runId: 'fz-after' });
    expect(started.status, started.text).toBe(202);
    const done = await waitForRun(host.port, 'fz-after', finished);
    expect(done).toMatchObject({ status: 'Completed', output: [[1, 8], [2, 4]] });
  });
});

// ---------------------------------------------------------------- below the HTTP API

/** Writes bytes on a fresh connection and returns what comes back before the host closes it (or '' when nothing does). */
function sendBytes(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? NaN);
const bodyOf = (raw: string) => {
  const at = raw.indexOf('\r\n\r\n');
  return at < 0 ? '' : raw.slice(at + 4);
};

const request = (line: string, headers = 'Host: 127.0.0.1') => `${line}\r\n${headers}\r\nConnection: close\r\n\r\n`;

/** Requests that Node's HTTP parser refuses before the host's own code sees them. */
const PROTOCOL_GARBAGE: Array<[string, string | Buffer]> = [
  ['lower-case method', request('get /api/workflows HTTP/1.1')],
  ['unknown method token', request('FROB /api/workflows HTTP/1.1')],
  ['raw UTF-8 in the path', Buffer.concat([Buffer.from('GET /api/runs/'), Buffer.from('😀'), Buffer.from(' HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')])],
  ['raw lone surrogate bytes in the path', Buffer.concat([Buffer.from('GET /api/runs/'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')])],
  ['NUL in the path', request('GET /api/runs/a\u0000b HTTP/1.1')],
  ['not HTTP at all', 'hello\r\n\r\n'],
  ['URL over the 16 KB header limit', request(`GET /api/runs/${'x'.repeat(20_000)} HTTP/1.1`)],
  ['headers over the 16 KB limit', request('GET /api/workflows HTTP/1.1', `Host: a\r\nX-Big: ${'b'.repeat(20_000)}`)],
  ['broken chunked body', request('POST /api/workflows/factor-pairs/runs HTTP/1.1', 'Host: a\r\nTransfer-Encoding: chunked') + 'zz\r\n'],
  ['Content-Length and chunked together', request('POST /api/workflows/factor-pairs/runs HTTP/1.1', 'Host: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked') + '0\r\n\r\n'],
  ['two Content-Lengths', request('POST /api/workflows/factor-pairs/runs HTTP/1.1', 'Host: a\r\nContent-Length: 3\r\nContent-Length: 4') + 'abc'],
  ['negative Content-Length', request('POST /api/workflows/factor-pairs/runs HTTP/1.1', 'Host: a\r\nContent-Length: -1') + 'abc'],
  ['no Host header', 'GET /api/workflows HTTP/1.1\r\nConnection: close\r\n\r\n'],
];

describe('HTTP fuzz: requests that are not valid HTTP', () => {
  it('get a 4xx (or a closed connection for CONNECT), never a 5xx, and the host keeps serving', async () => {
    const answers = await Promise.all([...PROTOCOL_GARBAGE, ['CONNECT tunnel', request('CONNECT 127.0.0.1:1 HTTP/1.1')] as [string, string]].map(async ([what, bytes]) => [what, await sendBytes(host.port, bytes)] as const));
    for (const [what, raw] of answers) {
      if (what === 'CONNECT tunnel') expect(raw, what).toBe('');
      else expect(statusOf(raw), `${what}: ${raw.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      if (raw) expect(statusOf(raw), `${what}: ${raw.slice(0, 200)}`).toBeLessThan(500);
    }
    console.log(`protocol-level garbage: ${answers.map(([what, raw]) => `${what} -> ${raw ? statusOf(raw) : 'closed'}`).join('; ')}`);
    expect(host.isAlive()).toBe(true);
    expect((await sendRaw(host.port, { method: 'GET', path: '/api/workflows' })).status).toBe(200);
  });

  // Node's HTTP parser refuses these before any handler runs; the host's clientError handler
  // answers them in the JSON error shape.
  it('requests refused by the HTTP parser get the JSON error shape too', async () => {
    for (const [what, bytes] of PROTOCOL_GARBAGE) {
      const raw = await sendBytes(host.port, bytes);
      expect(hasErrorShape(bodyOf(raw)), `${what}: ${raw.slice(0, 200)}`).toBe(true);
    }
  });

  // A Host header that is not a valid host must not make the host fail building the URL.
  it('a malformed Host header gets a 400, not a 500', async () => {
    for (const hostHeader of ['a b', '[[[', '%zz', 'a:99999', 'exa mple.com:80']) {
      const raw = await sendBytes(host.port, request('GET /api/workflows HTTP/1.1', `Host: ${hostHeader}`));
      expect(statusOf(raw), `Host: ${hostHeader} -> ${raw.slice(0, 300)}`).toBe(400);
      expect(hasErrorShape(bodyOf(raw))).toBe(true);
    }
  });
});

describe('HTTP fuzz: continuation tokens', () => {
  // The run-list continuation wraps the Cosmos SDK's opaque token; a forged one (control
  // characters, or one Cosmos refuses) is the caller's mistake: 400, not a store failure.
  it('a forged inner Cosmos token in a run-list continuation gets a 400, not a 500', async () => {
    for (const id of ['fz-list-1', 'fz-list-2']) await postJson(host.port, 'workflows/factor-pairs/runs', { input: 6, runId: id });
    const first = await sendRaw(host.port, { method: 'GET', path: '/api/runs?limit=1' });
    const { continuation } = JSON.parse(first.text) as { continuation?: string };
    expect(continuation).toBeTypeOf('string');
    const fields = JSON.parse(Buffer.from(continuation!, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const forged of ['1', '[]', '{"x":1}', '\u0000']) {
      const token = Buffer.from(JSON.stringify({ ...fields, t: forged }), 'utf8').toString('base64url');
      const page = await sendRaw(host.port, { method: 'GET', path: `/api/runs?limit=1&continuation=${token}` });
      expect(page.status, `t=${JSON.stringify(forged)} -> ${page.text}`).toBe(400);
      expect(hasErrorShape(page.text)).toBe(true);
    }
  });
});

import http from 'node:http';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../src/functions/http/request-body';
import type { RawRequest } from './hostile-host';

/**
 * Generators of bad requests for the HTTP API. Each case says what it tries (`kind`) and, where
 * the API's contract pins it down, which statuses are acceptable (`expect`). Everything is drawn
 * from a fixed seed, so a failing case is reproduced by running the suite again.
 */
export interface FuzzCase extends RawRequest {
  kind: string;
  expect?: readonly number[];
}

/** Runs and requests that exist when the fuzzing starts. */
export interface FuzzTargets {
  /** A finished factor-pairs run with checkpoints 0..2. */
  doneRun: string;
  /** An approval run waiting for `requestId`; the fuzz never cancels or forks it. */
  waitingRun: string;
  requestId: string;
  /** An approval run the fuzz may cancel, fork and answer. */
  spareRun: string;
}

const WORKFLOWS = ['factor-pairs', 'approval', 'word-count'] as const;

// ---------------------------------------------------------------- strings

/** Strings that have broken parsers, routers and path builders before. */
const NASTY_STRINGS = [
  '', ' ', '/', '\\', '?', '#', '%', '&', '=', '+', ';', '.', '..', '...', './x', '../x', 'a/b', 'a\\b', 'a?b', 'a#b', 'a%b',
  '%2F', '%2f', '%5C', '%3F', '%23', '%25', '%00', '%252F', '%ED%A0%80', '%C0%AF', '%FF', '%zz', '%E0%A4%A',
  '😀', '👩‍👩‍👧‍👦', '\u202Eevil\u202C', 'مرحبا', 'שלום', '\u0000', 'a\u0000b', '\u0007', '\r\n', '\t', '\ud800', '\udfff', 'a\ud800b', '\ufeff', '\uffff',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '$t', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10',
  'x'.repeat(129), 'x'.repeat(2000), '<script>', '"quoted"', "'single'", '{"$t":"undefined"}', 'CON', 'nul.txt',
];

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...NASTY_STRINGS), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
);

/** UTF-8 bytes of `text`, with a lone surrogate as its three-byte (invalid UTF-8) form. */
function wtf8(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const next = text.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      bytes.push(...Buffer.from(text.slice(i, i + 2), 'utf8'));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return bytes;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * A path segment for `text`: `encoded` percent-encodes all but unreserved characters, `raw` sends
 * printable ASCII as it is (so `/ \ ? # %` reach the host unescaped), `double` encodes twice.
 */
function segment(text: string, how: 'encoded' | 'raw' | 'double'): string {
  const once = wtf8(text)
    .map((byte) => {
      const char = String.fromCharCode(byte);
      if (UNRESERVED.test(char) || (how === 'raw' && byte >= 0x21 && byte <= 0x7e)) return char;
      return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return how === 'double' ? once.replaceAll('%', '%25') : once;
}

/**
 * A hostile path segment, and whether it may send the request to another route: raw `/ \ ? #`
 * split or cut the path, and dot segments (also `%2e`) are resolved away, as URLs are.
 */
interface HostileSegment {
  text: string;
  reshapes: boolean;
}

const hostileSegment: fc.Arbitrary<HostileSegment> = fc
  .tuple(nastyString, fc.constantFrom('encoded', 'raw', 'double') as fc.Arbitrary<'encoded' | 'raw' | 'double'>)
  .map(([text, how]) => {
    const encoded = segment(text, how);
    const dots = encoded.replace(/%2e/gi, '.');
    return { text: encoded, reshapes: encoded === '' || /[/\\?#]/.test(encoded) || dots === '.' || dots === '..' };
  });

/** Printable ASCII as it is (`%` too, so escapes are sent as written), anything else percent-encoded. */
const pathSafe = (text: string) => segment(text, 'raw');

/** A well-formed run id that no run has. */
const unknownRunId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/).filter((id) => id !== '.' && id !== '..').map((id) => `nobody-${id}`);

// ---------------------------------------------------------------- bodies

const json = (value: unknown) => JSON.stringify(value);

const MALFORMED_JSON = [
  '{', '}', '[', ']', '{"input":}', "{'input':8}", '{"input":8,}', '{"input":NaN}', '{"input":Infinity}', '{"input":-Infinity}',
  '{"input":08}', '{"input":0x10}', '{"input":.5}', '{"input":+1}', '/*c*/{"input":8}', '{"input":8}//', '{"input":8}{"input":9}',
  '{"input":"a\u0000b"}', '{"input":"line\nbreak"}', '\ufeff{"input":8}', 'undefined', 'True', 'nul', '{"input":8', '[1,2', '"abc', '\\',
  '{"a":"\\x41"}', '{"a":"\\u12"}', '{input:8}', '{"input" 8}', '{"input"::8}', '{,}', '[,]', '{"a":1,,"b":2}', '\u0000', '😀',
  '{"input":"\\', 'e5', '-', '1.', '.1', '01', '{"__proto__":}', '{"$t":', ')]}\'\n{"input":8}',
];

function isBlankOrJson(text: string): boolean {
  if (text.trim() === '') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const malformedJson = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
    { weight: 3, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 4 }).map(json), fc.nat()).map(([text, cut]) => text.slice(0, text.length > 1 ? cut % (text.length - 1) + 1 : 1)) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }).map(json), fc.constantFrom('x', ',', '}', ']', '"', ':', '\u0001')).map(([text, junk]) => text + junk) },
  )
  .filter((text) => !isBlankOrJson(text));

/** A value of any JSON type, mostly not what a field wants. */
const anyJson = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, -0.0, 1e308, -1e308, 2 ** 53 + 2, '', '8', [], {}, [8], { n: 8 }),
  fc.jsonValue({ maxDepth: 3 }),
  nastyString,
);

/** Near misses for each workflow's input. */
const nearMissInput = fc.oneof(
  fc.constantFrom<unknown>(0, -8, 8.5, 10 ** 12 + 1, '8', [8], { n: 8 }, null, true, 1e21, 2 ** 64),
  fc.record({ title: anyJson, amount: anyJson }, { requiredKeys: [] }),
  fc.record({ title: fc.constant('t'), amount: fc.constant(1), timeoutSeconds: anyJson }),
  fc.record({ title: fc.constant('t'), amount: fc.constantFrom<unknown>(-1, NaN, '1', null, 1e309) }),
  fc.record({ documents: anyJson }),
  fc.record({ documents: fc.array(anyJson, { minLength: 1, maxLength: 4 }) }),
  fc.constant({ documents: Array.from({ length: 101 }, () => 'x') }),
  fc.constant({ documents: [] }),
);

const startBody = fc.oneof(
  fc.record({ input: fc.oneof(anyJson, nearMissInput) }),
  fc.record({ input: fc.oneof(anyJson, nearMissInput), runId: fc.oneof(anyJson, nastyString) }),
  fc.record({ input: fc.constant(8), runId: fc.oneof(anyJson, nastyString) }),
  fc.record({ input: fc.constant(8), extra: anyJson }),
  fc.record({ runId: fc.constant('no-input') }),
  anyJson,
);

// ---------------------------------------------------------------- case builders

const post = (kind: string, path: string, body: string | Buffer, expect?: readonly number[], headers: Record<string, string> = { 'content-type': 'application/json' }): FuzzCase => ({
  kind,
  method: 'POST',
  path,
  headers,
  body,
  ...(expect ? { expect } : {}),
});

const get = (kind: string, path: string, expect?: readonly number[]): FuzzCase => ({ kind, method: 'GET', path, ...(expect ? { expect } : {}) });

/** The routes that take a JSON body, with the statuses a bad body may get on each. */
function bodyRoutes(t: FuzzTargets): Array<{ path: string; malformed: readonly number[] }> {
  return [
    { path: '/api/workflows/factor-pairs/runs', malformed: [400] },
    { path: '/api/workflows/approval/runs', malformed: [400] },
    { path: '/api/workflows/word-count/runs', malformed: [400] },
    { path: '/api/workflows/no-such-workflow/runs', malformed: [400] },
    { path: `/api/runs/${t.spareRun}/cancel`, malformed: [400] },
    { path: `/api/runs/${t.doneRun}/checkpoints/0/fork`, malformed: [400] },
    { path: `/api/runs/${t.waitingRun}/requests/${t.requestId}`, malformed: [400] },
  ];
}

function malformedJsonCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc.tuple(fc.constantFrom(...bodyRoutes(t)), malformedJson).map(([route, body]) => post('malformed-json', route.path, body, route.malformed));
}

function wrongTypeCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    fc.tuple(fc.constantFrom(...WORKFLOWS), startBody).map(([workflow, body]) => post('wrong-type:start', `/api/workflows/${workflow}/runs`, json(body), [202, 400, 409])),
    fc.record({ reason: fc.oneof(anyJson, fc.constant('r'.repeat(1001))) }).map((body) => post('wrong-type:cancel', `/api/runs/${t.spareRun}/cancel`, json(body), [202, 400, 410])),
    fc.oneof(anyJson, fc.record({ reason: fc.constant('ok'), extra: anyJson })).map((body) => post('wrong-type:cancel', `/api/runs/${t.spareRun}/cancel`, json(body), [202, 400, 410])),
    fc.oneof(fc.record({ runId: fc.oneof(anyJson, nastyString) }), fc.record({ runId: unknownRunId, extra: anyJson }), anyJson).map((body) =>
      post('wrong-type:fork', `/api/runs/${t.doneRun}/checkpoints/1/fork`, json(body), [202, 400, 409]),
    ),
    fc.oneof(anyJson, fc.record({ approved: anyJson, comment: anyJson }, { requiredKeys: [] }), fc.record({ approved: fc.boolean(), comment: fc.oneof(anyJson, fc.constant('c'.repeat(4001))), extra: anyJson }))
      // A well-formed decision would end the run; it is not what this case is after.
      .filter((body) => typeof (body as { approved?: unknown } | null)?.approved !== 'boolean' || Object.keys(body as object).some((k) => k !== 'approved' && k !== 'comment'))
      .map((body) => post('wrong-type:answer', `/api/runs/${t.waitingRun}/requests/${t.requestId}`, json(body), [400])),
  );
}

/** Bodies over the 1 MB limit, declared or streamed: always 413, whatever the route. */
function hugeBodyCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(fc.constantFrom(...bodyRoutes(t)), fc.integer({ min: MAX_BODY_BYTES + 1, max: 3 * 1024 * 1024 }), fc.boolean(), fc.constantFrom('json', 'bytes'))
    .map(([route, size, chunked, shape]) => {
      const body =
        shape === 'json'
          ? Buffer.from(json({ input: 'y'.repeat(size - 12) }))
          : Buffer.alloc(size, 0xfe);
      return { ...post('huge-body', route.path, body, [413]), chunked };
    });
}

/** Arrays nested 1,000 to 500,000 deep, objects up to 170,000 (both within 1 MB): a 400, never a crash. */
function deepBodyCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const nest = (depth: number, shape: 'array' | 'object' | 'unclosed') =>
    shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : shape === 'object' ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth);
  const deep = fc.tuple(fc.constantFrom(1_000, 10_000, 100_000, 170_000, 500_000), fc.constantFrom('array', 'object', 'unclosed') as fc.Arbitrary<'array' | 'object' | 'unclosed'>)
    .filter(([depth, shape]) => !(shape === 'object' && depth > 170_000))
    .map(([depth, shape]) => nest(depth, shape));
  const places: Array<[string, (nested: string) => string, readonly number[]]> = [
    ['/api/workflows/factor-pairs/runs', (n) => n, [400]],
    ['/api/workflows/factor-pairs/runs', (n) => `{"input":${n}}`, [400]],
    ['/api/workflows/approval/runs', (n) => `{"input":{"title":"t","amount":1,"x":${n}}}`, [400]],
    ['/api/workflows/word-count/runs', (n) => `{"input":{"documents":${n}}}`, [400]],
    ['/api/workflows/word-count/runs', (n) => `{"input":{"documents":["a"]},"runId":${n}}`, [400]],
    [`/api/runs/${t.waitingRun}/requests/${t.requestId}`, (n) => n, [400]],
    [`/api/runs/${t.waitingRun}/requests/${t.requestId}`, (n) => `{"approved":true,"comment":${n}}`, [400]],
    [`/api/runs/${t.spareRun}/cancel`, (n) => `{"reason":${n}}`, [400]],
    [`/api/runs/${t.doneRun}/checkpoints/0/fork`, (n) => `{"runId":${n}}`, [400]],
  ];
  return fc.tuple(fc.constantFrom(...places), deep).map(([[path, wrap, expect], nested]) => post('deep-nesting', path, wrap(nested), expect));
}

/** Hostile ids in every id position of every route, raw, percent-encoded and double-encoded. */
function idCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  // Ids made of nasty strings that happen to be valid (`-1`, `__proto__`, `NaN`) may name runs this
  // fuzz started earlier (ids:start-body), so the success statuses are allowed too.
  const idRoutes: Array<(id: string) => FuzzCase> = [
    (id) => get('ids:status', `/api/runs/${id}`, [200, 400, 404]),
    (id) => ({ kind: 'ids:purge', method: 'DELETE', path: `/api/runs/${id}`, expect: [204, 400, 404] }),
    (id) => get('ids:checkpoints', `/api/runs/${id}/checkpoints`, [200, 400, 404]),
    (id) => get('ids:checkpoint', `/api/runs/${id}/checkpoints/0`, [200, 400, 404]),
    (id) => get('ids:checkpoint-step', `/api/runs/${t.doneRun}/checkpoints/${id}`, [200, 400, 404]),
    (id) => post('ids:cancel', `/api/runs/${id}/cancel`, '{}', [202, 400, 404, 410]),
    (id) => post('ids:fork', `/api/runs/${id}/checkpoints/0/fork`, '{}', [202, 400, 404]),
    (id) => post('ids:fork-step', `/api/runs/${t.doneRun}/checkpoints/${id}/fork`, '{}', [202, 400, 404]),
    (id) => post('ids:answer-run', `/api/runs/${id}/requests/${t.requestId}`, json({ approved: true }), [400, 404, 410]),
    (id) => post('ids:answer-request', `/api/runs/${t.waitingRun}/requests/${id}`, json({ approved: true }), [400, 404]),
    (id) => post('ids:workflow', `/api/workflows/${id}/runs`, json({ input: 8 }), [400, 404]),
  ];
  const inBody: Array<(id: string) => FuzzCase> = [
    (id) => post('ids:start-body', '/api/workflows/factor-pairs/runs', json({ input: 8, runId: id }), [202, 400, 409]),
    (id) => post('ids:fork-body', `/api/runs/${t.doneRun}/checkpoints/2/fork`, json({ runId: id }), [202, 400, 409]),
  ];
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...idRoutes), hostileSegment).map(([build, id]) => {
        const built = build(id.text);
        // A segment that reaches another route may get any answer of that route; the invariants still hold.
        if (!id.reshapes) return built;
        const { expect: _ignored, ...rest } = built;
        return { ...rest, kind: `${built.kind}:reshaped` };
      }),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...inBody), nastyString).map(([build, id]) => build(id)) },
  );
}

/** Unicode where the API keeps text: titles, documents, reasons, comments (valid or not). */
function unicodeCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const text = fc.oneof(nastyString, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }));
  return fc.oneof(
    text.map((title) => post('unicode:title', '/api/workflows/approval/runs', json({ input: { title, amount: 1, timeoutSeconds: 3600 } }), [202, 400])),
    fc.array(text, { minLength: 1, maxLength: 3 }).map((documents) => post('unicode:documents', '/api/workflows/word-count/runs', json({ input: { documents } }), [202])),
    text.map((reason) => post('unicode:reason', `/api/runs/${t.spareRun}/cancel`, json({ reason }), [202, 410])),
    // Lone surrogates as raw bytes (invalid UTF-8) inside a JSON string.
    fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff).map((unit) =>
      post('unicode:raw-surrogate', '/api/workflows/word-count/runs', Buffer.concat([Buffer.from('{"input":{"documents":["a'), Buffer.from(wtf8(String.fromCharCode(unit))), Buffer.from('b"]}}')]), [202]),
    ),
  );
}

/** Empty, null and incomplete bodies on every body route. */
function missingFieldCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const bodies = ['', ' ', '\n', 'null', '{}', '[]', '""', '0', 'false', '{"runId":"only-id"}', '{"input":null}'];
  const routes: Array<[string, readonly number[]]> = [
    ['/api/workflows/factor-pairs/runs', [400]],
    ['/api/workflows/approval/runs', [400]],
    ['/api/workflows/word-count/runs', [400]],
    [`/api/runs/${t.spareRun}/cancel`, [202, 400, 410]],
    [`/api/runs/${t.doneRun}/cancel`, [400, 410]],
    [`/api/runs/${t.doneRun}/checkpoints/1/fork`, [202, 400, 409]],
    [`/api/runs/${t.waitingRun}/requests/${t.requestId}`, [400]],
  ];
  const emptyPaths = ['/api/runs//cancel', '/api/runs/x/requests/', '/api/runs/x/checkpoints//fork', '/api/workflows//runs', '/api/runs/', '/api/runs//checkpoints'];
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...routes), fc.constantFrom(...bodies)).map(([[path, expect], body]) => post('missing', path, body, expect)) },
    { weight: 1, arbitrary: fc.constantFrom(...emptyPaths).map((path) => post('missing:path-param', path, '{}', [400, 404, 405])) },
  );
}

/** Every method on every route: 405 with the JSON shape unless the route takes it. */
function methodCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const routes: Array<[string, readonly string[]]> = [
    ['/api/workflows', ['GET']],
    ['/api/workflows/factor-pairs/runs', ['POST']],
    ['/api/runs', ['GET']],
    [`/api/runs/${t.doneRun}`, ['GET', 'DELETE']],
    [`/api/runs/${t.spareRun}/cancel`, ['POST']],
    [`/api/runs/${t.waitingRun}/requests/${t.requestId}`, ['POST']],
    [`/api/runs/${t.doneRun}/checkpoints`, ['GET']],
    [`/api/runs/${t.doneRun}/checkpoints/1`, ['GET']],
    [`/api/runs/${t.doneRun}/checkpoints/1/fork`, ['POST']],
  ];
  // CONNECT is a tunnel, not a request: it is tried with the protocol-level cases.
  const methods = http.METHODS.filter((method) => method !== 'CONNECT');
  return fc
    .tuple(fc.constantFrom(...routes), fc.constantFrom(...methods))
    .filter(([[, allowed], method]) => !allowed.includes(method))
    .map(([[path], method]) => ({ kind: 'wrong-method', method, path, headers: { 'content-type': 'application/json' }, body: '{}', expect: [405] }));
}

function unknownRouteCases(): fc.Arbitrary<FuzzCase> {
  const fixed = [
    '/', '/api', '/api/', '/api/nope', '/api/run', '/api/runs/x/y', '/api/runs/x/checkpoints/1/fork/extra', '/api/workflows/factor-pairs',
    '/api/workflows/factor-pairs/runs/extra', '/api/workflows/factor-pairs/run', '/apix/runs', '/admin', '/admin/nope', '/favicon.ico',
    '/api/runs/x/requests/y/z', '/api/.env', '/api/%2e%2e/%2e%2e/etc/passwd', '/api/runs/x/checkpoints/1/forks',
  ];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...fixed), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE')).map(([path, method]) => ({ kind: 'unknown-route', method, path })),
    fc.array(hostileSegment, { minLength: 1, maxLength: 6 }).map((parts) => ({ kind: 'unknown-route', method: 'GET', path: `/api/nothing/${parts.map((p) => p.text).join('/')}` })),
    fc.array(hostileSegment, { minLength: 1, maxLength: 4 }).map((parts) => ({ kind: 'unknown-route', method: 'GET', path: `/${parts.map((p) => p.text).join('/')}` })),
  );
}

/** Garbage in limit, status, continuation, updatedBefore, workflow, and unknown or repeated parameters. */
function queryCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const numberish = fc.constantFrom('0', '-1', '1001', '5000', '1.5', '1e3', '01', ' 1', '1 ', '+1', '１', '٣', '0x10', '99999999999', 'NaN', 'Infinity', '', 'null', '[]', '{}');
  const dateish = fc.constantFrom('garbage', '2024-01-01', '2024-01-01T00:00:00', '2024-13-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '2024-01-01T00:00:00.000+99:99', '0', '');
  const continuationish = fc.oneof(
    fc.constantFrom('', 'garbage', '%', 'eyJ2IjoxfQ', 'x'.repeat(4097), '====', 'a b', 'null'),
    fc.jsonValue({ maxDepth: 2 }).map((value) => Buffer.from(json(value)).toString('base64url')),
    fc.record({ v: anyJson, k: fc.constantFrom('steps', 'runs', 'cosmos-runs'), r: fc.oneof(fc.constant(t.doneRun), nastyString), s: anyJson }).map((value) => Buffer.from(json(value)).toString('base64url')),
  );
  const param = fc.oneof(
    numberish.map((v) => ['limit', v] as const),
    fc.oneof(fc.constantFrom('running', 'RUNNING', 'Unknown', '', 'Completed,Failed'), nastyString).map((v) => ['status', v] as const),
    continuationish.map((v) => ['continuation', v] as const),
    dateish.map((v) => ['updatedBefore', v] as const),
    nastyString.map((v) => ['workflow', v] as const),
    fc.tuple(nastyString, nastyString).map(([k, v]) => [k, v] as const),
  );
  const query = fc.array(param, { minLength: 1, maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${segment(k, 'encoded')}=${segment(v, 'encoded')}`).join('&'));
  const rawQuery = fc.constantFrom('?', '??', '?&&&', '?=', '?=x', '?limit', '?limit=', '?limit=1&limit=2', '?%', '?%zz=1', '?limit=%', '?a[b]=1', '?__proto__[x]=1', '?limit=1#frag');
  return fc.oneof(
    fc.tuple(fc.constantFrom('/api/runs', `/api/runs/${t.doneRun}/checkpoints`), query).map(([path, q]) => get('query', `${path}?${q}`, [200, 400])),
    fc.tuple(fc.constantFrom('/api/runs', `/api/runs/${t.doneRun}/checkpoints`), rawQuery).map(([path, q]) => get('query:raw', `${path}${q}`, [200, 400])),
  );
}

/** URLs of 2 KB to 14 KB, under the HTTP server's 16 KB header limit (longer ones are protocol-level cases). */
function longUrlCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc.tuple(fc.integer({ min: 2_000, max: 14_000 }), fc.constantFrom('id', 'query', 'segments', 'workflow')).map(([length, where]) => {
    switch (where) {
      case 'id':
        return get('long-url', `/api/runs/${'r'.repeat(length)}`, [400]);
      case 'query':
        return get('long-url', `/api/runs?continuation=${'c'.repeat(length)}`, [400]);
      case 'segments':
        return get('long-url', `/api/runs/${t.doneRun}${'/x'.repeat(length / 2)}`, [404]);
      default:
        return post('long-url', `/api/workflows/${'w'.repeat(length)}/runs`, json({ input: 8 }), [404]);
    }
  });
}

/** A valid start body under every content type: the API reads the bytes as JSON, whatever the header says. */
function contentTypeCases(): fc.Arbitrary<FuzzCase> {
  const types = [
    undefined, 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
    'application/octet-stream', ';;;=;', 'application/json; charset=utf-8; charset=utf-16', '*/*', 'application/json'.repeat(200), 'text/html; charset=\u00e9',
  ];
  return fc.oneof(
    fc.constantFrom(...types).map((type) => post('content-type', '/api/workflows/factor-pairs/runs', json({ input: 8 }), [202, 400, 415], type === undefined ? {} : { 'content-type': type })),
    fc.constantFrom(
      post('content-type', '/api/workflows/factor-pairs/runs', Buffer.from(json({ input: 8 }), 'utf16le'), [400, 415], { 'content-type': 'application/json; charset=utf-16' }),
      post('content-type', '/api/workflows/factor-pairs/runs', 'input=8', [400, 415], { 'content-type': 'application/x-www-form-urlencoded' }),
      post('content-type', '/api/workflows/factor-pairs/runs', '--x\r\nContent-Disposition: form-data; name="input"\r\n\r\n8\r\n--x--', [400, 415], { 'content-type': 'multipart/form-data; boundary=x' }),
      post('content-type', '/api/workflows/factor-pairs/runs', '<input>8</input>', [400, 415], { 'content-type': 'application/xml' }),
      post('content-type', '/api/workflows/factor-pairs/runs', 'not gzip at all', [400, 415], { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
    ),
  );
}

/** Answers to requests that do not exist, on waiting, finished and unknown runs. */
function unknownAnswerCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const requestId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/).filter((id) => id !== t.requestId);
  return fc.oneof(
    requestId.map((id) => post('unknown-answer', `/api/runs/${t.waitingRun}/requests/${id}`, json({ approved: true }), [404])),
    requestId.map((id) => post('unknown-answer', `/api/runs/${t.doneRun}/requests/${id}`, json({ approved: true }), [404, 410])),
    fc.tuple(unknownRunId, requestId).map(([run, id]) => post('unknown-answer', `/api/runs/${run}/requests/${id}`, json({ approved: false }), [404])),
  );
}

/** Cancel and fork of runs that do not exist, and forks from steps out of range or not whole numbers. */
function cancelForkCases(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const badStep = fc.constantFrom('-1', '1.5', '1e3', '0x1', '+1', '%201', '10000000000', '99999999999999999999', '٣', '１', 'Infinity', 'NaN', 'one');
  const missingStep = fc.oneof(fc.integer({ min: 3, max: 9_999_999_999 }).map(String), fc.constantFrom('3', '9999999999', '0000000003'));
  return fc.oneof(
    unknownRunId.map((run) => post('cancel-unknown', `/api/runs/${run}/cancel`, json({ reason: 'x' }), [404])),
    unknownRunId.map((run) => post('fork-unknown', `/api/runs/${run}/checkpoints/0/fork`, '{}', [404])),
    missingStep.map((step) => post('fork-out-of-range', `/api/runs/${t.doneRun}/checkpoints/${step}/fork`, '{}', [404])),
    badStep.map((step) => post('fork-bad-step', `/api/runs/${t.doneRun}/checkpoints/${pathSafe(step)}/fork`, '{}', [400, 404])),
    missingStep.map((step) => get('checkpoint-out-of-range', `/api/runs/${t.doneRun}/checkpoints/${step}`, [404])),
    badStep.map((step) => get('checkpoint-bad-step', `/api/runs/${t.doneRun}/checkpoints/${pathSafe(step)}`, [400, 404])),
    fc.constant(post('cancel-finished', `/api/runs/${t.doneRun}/cancel`, json({ reason: 'late' }), [410])),
    fc.constant(post('fork-used-id', `/api/runs/${t.doneRun}/checkpoints/0/fork`, json({ runId: t.waitingRun }), [409])),
  );
}

/** `/ \ ? #` inside an id on every id route, raw, percent-encoded (both cases) and double-encoded: always sent. */
function separatorIdCases(t: FuzzTargets): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const char of ['/', '\\', '?', '#']) {
    const hex = char.charCodeAt(0).toString(16);
    const forms: Array<[string, boolean]> = [[`a${char}b`, true], [`a%${hex.toUpperCase()}b`, false], [`a%${hex}b`, false], [`a%25${hex.toUpperCase()}b`, false]];
    for (const [id, reshapes] of forms) {
      const routes: FuzzCase[] = [
        get('ids:status', `/api/runs/${id}`, [400, 404]),
        post('ids:cancel', `/api/runs/${id}/cancel`, '{}', [400, 404]),
        post('ids:answer-request', `/api/runs/${t.waitingRun}/requests/${id}`, json({ approved: true }), [400, 404]),
        get('ids:checkpoint-step', `/api/runs/${t.doneRun}/checkpoints/${id}`, [400, 404]),
        post('ids:workflow', `/api/workflows/${id}/runs`, json({ input: 8 }), [400, 404]),
      ];
      for (const route of routes) {
        if (!reshapes) cases.push(route);
        else {
          const { expect: _ignored, ...rest } = route;
          cases.push({ ...rest, kind: `${route.kind}:reshaped` });
        }
      }
    }
  }
  return cases;
}

/**
 * The fixed cases, then `count` generated ones; the mix is weighted so that the slow kinds (huge
 * and deep bodies) stay a small share.
 */
export function fuzzCases(targets: FuzzTargets, count: number, seed: number): FuzzCase[] {
  const mix = fc.oneof(
    { weight: 12, arbitrary: malformedJsonCases(targets) },
    { weight: 14, arbitrary: wrongTypeCases(targets) },
    { weight: 2, arbitrary: hugeBodyCases(targets) },
    { weight: 3, arbitrary: deepBodyCases(targets) },
    { weight: 16, arbitrary: idCases(targets) },
    { weight: 6, arbitrary: unicodeCases(targets) },
    { weight: 6, arbitrary: missingFieldCases(targets) },
    { weight: 10, arbitrary: methodCases(targets) },
    { weight: 6, arbitrary: unknownRouteCases() },
    { weight: 10, arbitrary: queryCases(targets) },
    { weight: 3, arbitrary: longUrlCases(targets) },
    { weight: 4, arbitrary: contentTypeCases() },
    { weight: 4, arbitrary: unknownAnswerCases(targets) },
    { weight: 6, arbitrary: cancelForkCases(targets) },
  );
  return [...separatorIdCases(targets), ...fc.sample(mix, { seed, numRuns: count })];
}

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError, decodeValue, encodeValue, TypeRegistry } from '../../src/engine/codec';
import type { Json } from '../../src/engine/json';
import { startServices, type Services } from '../e2e/harness';
import { closeConnections, expectHostPrototypesUntouched, finished, postJson, prototypeKeys, sendRaw, startHostileHost, waitForRun, type HostileHost } from './hostile-host';

/*
 * Payloads crafted to smuggle prototypes or types through the value codec, straight into
 * decodeValue and over HTTP into a run. They must change nothing outside the payload, in this
 * process and in the host, and get a clear error where they are invalid.
 */

const SEED = 6_006;
const baseline = prototypeKeys();

function expectNoPollution(): void {
  expect(prototypeKeys()).toEqual(baseline);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf(Object.prototype)).toBeNull();
}

// ---------------------------------------------------------------- crafted JSON text

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', '$t', 'v', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'polluted'];
const KNOWN_TAGS = ['undefined', 'number', 'bigint', 'Date', 'RegExp', 'Map', 'Set', 'Uint8Array', 'Buffer', 'Error', 'object'];
const TAG_LIKE = [
  ...KNOWN_TAGS,
  'class:Object', 'class:__proto__', 'class:constructor', 'class:Function', 'class:', 'class:Money', '__proto__', 'constructor', 'prototype',
  'toString', 'Function', 'eval', 'require', 'Object', 'Array', 'Promise', '', 'date', 'OBJECT', ' object', 'object ', 'class: Money',
];

const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) });
const text = (value: unknown) => JSON.stringify(value);

/**
 * JSON *text*, so `__proto__` is an own key as it is in a parsed request body: objects with
 * dangerous keys at every depth, and objects that look like tags (known and unknown, with and
 * without payloads, with extra keys).
 */
const { node: craftedJson } = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('object'), tie('array'), tie('tagLike')),
  leaf: fc.oneof(fc.jsonValue({ maxDepth: 0 }).map(text), fc.constantFrom(...TAG_LIKE).map(text), fc.constantFrom('"NaN"', '"-0"', '"1970-01-01T00:00:00.000Z"', '"AAEC"', '[]', '{}')),
  object: fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${text(k)}:${v}`).join(',')}}`),
  array: fc.array(tie('node'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  tagLike: fc
    .record(
      { tag: fc.oneof(fc.constantFrom(...TAG_LIKE).map(text), fc.constantFrom('1', 'null', 'true', '[]', '{}')), payload: tie('node'), extra: fc.array(fc.tuple(key, tie('node')), { maxLength: 2 }) },
      { requiredKeys: ['tag'] },
    )
    .map(({ tag, payload, extra }) => `{${[`"$t":${tag}`, ...(payload === undefined ? [] : [`"v":${payload}`]), ...(extra ?? []).map(([k, v]) => `${text(k)}:${v}`)].join(',')}}`),
})) as { node: fc.Arbitrary<string> };

const BUILT_IN_PROTOTYPES = new Set<unknown>([
  Object.prototype, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, Uint8Array.prototype, Buffer.prototype,
  Error.prototype, TypeError.prototype, RangeError.prototype, SyntaxError.prototype, ReferenceError.prototype, EvalError.prototype, URIError.prototype, AggregateError.prototype,
]);

/** Every object reachable from `value` has a built-in prototype: none was set from data. */
function expectBuiltInPrototypes(value: unknown, seen = new Set<unknown>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  expect(BUILT_IN_PROTOTYPES.has(Object.getPrototypeOf(value)), `prototype of ${Object.prototype.toString.call(value)}`).toBe(true);
  const children: unknown[] = [];
  if (value instanceof Map) for (const [k, v] of value) children.push(k, v);
  else if (value instanceof Set) children.push(...value);
  for (const name of Reflect.ownKeys(value)) children.push(Object.getOwnPropertyDescriptor(value, name)?.value);
  for (const child of children) expectBuiltInPrototypes(child, seen);
}

/** Same JSON data with the same own keys at every depth (`__proto__` included), all of them data; -0 is not 0. */
function expectSameData(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} vs ${String(expected)}`).toBe(true);
    return;
  }
  expect(typeof actual === 'object' && actual !== null, path).toBe(true);
  expect(Array.isArray(actual), path).toBe(Array.isArray(expected));
  expect(Object.getPrototypeOf(actual), path).toBe(Object.getPrototypeOf(expected));
  expect(Reflect.ownKeys(actual as object).map(String).sort(), path).toEqual(Reflect.ownKeys(expected).map(String).sort());
  for (const name of Object.keys(expected)) {
    expectSameData(Object.getOwnPropertyDescriptor(actual, name)?.value, Object.getOwnPropertyDescriptor(expected, name)?.value, `${path}[${JSON.stringify(name)}]`);
  }
}

/** The string values of every own "$t" key in the parsed text. */
function tagsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value !== 'object' || value === null) return found;
  if (Object.hasOwn(value, '$t') && typeof (value as { $t: unknown }).$t === 'string') found.add((value as { $t: string }).$t);
  for (const name of Object.keys(value)) tagsIn(Object.getOwnPropertyDescriptor(value, name)?.value, found);
  return found;
}

describe('codec smuggling: crafted JSON straight into decodeValue', () => {
  it('decodes crafted payloads to data with built-in prototypes only, or refuses them with a CodecError naming the tag', () => {
    let refused = 0;
    let decoded = 0;
    fc.assert(
      fc.property(craftedJson, (crafted) => {
        const parsed = JSON.parse(crafted) as Json;
        let result: unknown;
        try {
          result = decodeValue(parsed);
        } catch (error) {
          refused++;
          expect(error).toBeInstanceOf(CodecError);
          const message = (error as CodecError).message;
          expect(message).toMatch(/\btag\b|"\$t"/);
          expect(message).toMatch(/ at \$/);
          // A message that quotes a tag quotes one the payload holds.
          if (message.includes("tag '")) expect([...tagsIn(parsed)].some((tag) => message.includes(`tag '${tag}'`)), message).toBe(true);
          expectNoPollution();
          return;
        }
        decoded++;
        expectBuiltInPrototypes(result);
        if (!crafted.includes('"$t"')) expectSameData(result, parsed);
        expectNoPollution();
      }),
      { seed: SEED, numRuns: 1_500 },
    );
    console.log(`codec smuggling: 1,500 crafted payloads, ${decoded} decoded to plain values, ${refused} refused with a CodecError`);
    expect(refused).toBeGreaterThan(100);
    expect(decoded).toBeGreaterThan(100);
  });

  it('carries any crafted payload as plain data through encode and decode: tags in data are escaped, never interpreted', () => {
    fc.assert(
      fc.property(craftedJson, (crafted) => {
        const parsed = JSON.parse(crafted) as Json;
        const stored = JSON.parse(JSON.stringify(encodeValue(parsed))) as Json;
        expectSameData(decodeValue(stored), parsed);
        expectNoPollution();
      }),
      { seed: SEED + 1, numRuns: 1_500 },
    );
  });

  it('refuses every known tag with an extra key, naming the tag and the key', () => {
    for (const tag of KNOWN_TAGS) {
      for (const extra of ['__proto__', 'constructor', 'prototype', 'x']) {
        const crafted = JSON.parse(`{"wrapper":[{"$t":${text(tag)},"v":null,${text(extra)}:{"polluted":true}}]}`) as Json;
        expect(() => decodeValue(crafted)).toThrow(CodecError);
        expect(() => decodeValue(crafted)).toThrow(`tag '${tag}' has an unexpected key ${text(extra)} at $.wrapper[0]`);
      }
    }
    expectNoPollution();
  });

  it('refuses unknown tags and unregistered classes by name, whatever the name looks like', () => {
    const registry = new TypeRegistry();
    class Money {
      constructor(readonly cents: bigint) {}
    }
    registry.register('Money', Money, { encode: (m) => m.cents, decode: (cents) => new Money(cents as bigint) });
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...TAG_LIKE.filter((t) => !KNOWN_TAGS.includes(t) && t !== 'class:Money')), fc.string({ maxLength: 12 }).filter((t) => !KNOWN_TAGS.includes(t) && t !== 'class:Money')),
        (tag) => {
          const crafted = JSON.parse(`{"deep":{"__proto__":[{"$t":${text(tag)},"v":{"__proto__":{"polluted":true}}}]}}`) as Json;
          expect(() => decodeValue(crafted, registry)).toThrow(CodecError);
          const expected = tag.startsWith('class:') ? `unknown tag '${tag}': no class '${tag.slice(6)}' is registered` : `unknown tag '${tag}'`;
          expect(() => decodeValue(crafted, registry)).toThrow(`${expected} at $.deep.__proto__[0]`);
          expectNoPollution();
        },
      ),
      { seed: SEED + 2, numRuns: 300 },
    );
  });

  it('refuses objects whose prototype is not a plain one, so a prototype can never come in as data', () => {
    const withPrototype = { __proto__: { polluted: true }, a: 1 } as unknown as Json;
    expect(() => decodeValue({ x: withPrototype })).toThrow(/not JSON: an instance of .* at \$\.x/);
    expectNoPollution();
  });

  it('refuses tag chains nested 100,000 deep with a CodecError, not a stack overflow', () => {
    const tags = `${'{"$t":"object","v":{"__proto__":'.repeat(100_000)}1${'}}'.repeat(100_000)}`;
    expect(() => decodeValue(JSON.parse(tags) as Json)).toThrow(/nested too deeply/);
    const arrays = `${'['.repeat(100_000)}{"$t":"undefined"}${']'.repeat(100_000)}`;
    expect(() => decodeValue(JSON.parse(arrays) as Json)).toThrow(/nested too deeply/);
    expectNoPollution();
  });
});

// ---------------------------------------------------------------- over HTTP, into the host

let services: Services;
let host: HostileHost;

describe('codec smuggling: crafted run inputs and answers over HTTP', () => {
  beforeAll(async () => {
    services = await startServices('smuggle');
    host = await startHostileHost(services.env);
  });

  afterAll(async () => {
    closeConnections();
    await host?.stop();
    await services?.stop();
  });

  const start = (workflow: string, raw: string) => postJson(host.port, `workflows/${workflow}/runs`, undefined, raw);
  const expectRefused = async (pending: Promise<{ status: number; body: any; text: string }>, pattern: RegExp) => {
    const response = await pending;
    expect(response.status, response.text).toBe(400);
    expect(response.body).toEqual({ error: { code: expect.any(String), message: expect.stringMatching(pattern) } });
  };

  it('refuses __proto__, constructor and prototype keys wherever a body or input has a fixed shape', async () => {
    await expectRefused(start('approval', '{"input":{"title":"t","amount":1,"__proto__":{"polluted":true,"comment":"pwned"}}}'), /unknown field.*__proto__/);
    await expectRefused(start('approval', '{"input":{"title":"t","amount":1,"constructor":{"prototype":{"polluted":true}}}}'), /unknown field.*constructor/);
    await expectRefused(start('approval', '{"input":{"title":"t","amount":1,"prototype":{"polluted":true}}}'), /unknown field.*prototype/);
    await expectRefused(start('factor-pairs', '{"input":8,"__proto__":{"runId":"evil"}}'), /__proto__/);
    await expectRefused(start('factor-pairs', '{"input":8,"constructor":{"prototype":{"polluted":true}}}'), /constructor/);
    await expectRefused(start('factor-pairs', '{"input":{"__proto__":8}}'), /whole number/);
    await expectRefused(postJson(host.port, 'runs/nobody/cancel', undefined, '{"reason":"x","__proto__":{"polluted":true}}'), /__proto__/);
    await expectRefused(postJson(host.port, 'runs/nobody/checkpoints/0/fork', undefined, '{"__proto__":{"runId":"evil"}}'), /__proto__/);
    await expectHostPrototypesUntouched(host.port);
  });

  it('never decodes a tag in a run input: a tagged bigint, number or undefined is an object, and refused as one', async () => {
    await expectRefused(start('factor-pairs', '{"input":{"$t":"bigint","v":"8"}}'), /got an object/);
    await expectRefused(start('factor-pairs', '{"input":{"$t":"number","v":"NaN"}}'), /got an object/);
    await expectRefused(start('factor-pairs', '{"input":{"$t":"undefined"}}'), /got an object/);
    await expectRefused(start('word-count', '{"input":{"$t":"object","v":{"documents":["smuggled"]}}}'), /documents/);
    await expectRefused(start('word-count', '{"input":{"documents":[{"$t":"undefined"}]}}'), /documents\[0\] must be a string/);
    await expectHostPrototypesUntouched(host.port);
  });

  it('keeps dangerous words and tag-looking text as plain data in outputs, status and checkpoints', async () => {
    const documents = ['__proto__ constructor prototype __proto__', 'toString valueOf hasOwnProperty __defineGetter__ polluted'];
    const started = await start(
      'word-count',
      `{"input":{"documents":${text(documents)},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"$t":"class:Object","v":{}},"runId":"smuggle-words"}`,
    );
    expect(started.status, started.text).toBe(202);
    const done = await waitForRun(host.port, 'smuggle-words', finished);
    expect(done.status).toBe('Completed');
    const expected = JSON.parse('{"__definegetter__":1,"__proto__":2,"constructor":1,"hasownproperty":1,"polluted":1,"prototype":1,"tostring":1,"valueof":1}');
    // The checkpoint is a point read: the document exactly as stored.
    const checkpoint = await sendRaw(host.port, { method: 'GET', path: `/api/runs/smuggle-words/checkpoints/${done.step}` });
    expectSameData(JSON.parse(checkpoint.text).output, expected);
    // The status comes from a query, and the local Cosmos protocol server's query engine drops
    // keys named __proto__ from query results (Cosmos DB returns documents as stored). So here the
    // key is either there with its count, or missing; everything else must be exact.
    const fromStatus = done.output as Record<string, unknown>;
    if (!Object.hasOwn(fromStatus, '__proto__')) Object.defineProperty(fromStatus, '__proto__', { value: 2, enumerable: true, writable: true, configurable: true });
    expectSameData(fromStatus, expected);

    const title = '{"$t":"class:Object","v":{"__proto__":{"polluted":true}},"constructor":{"prototype":{"comment":"pwned"}}}';
    expect((await start('approval', text({ input: { title, amount: 0 }, runId: 'smuggle-title' }))).status).toBe(202);
    const waiting = await waitForRun(host.port, 'smuggle-title', (s) => s.status === 'Waiting');
    expect(waiting.pendingRequests[0].request).toMatchObject({ title, amount: 0 });
    const route = `runs/smuggle-title/requests/${waiting.pendingRequests[0].requestId}`;
    await expectRefused(postJson(host.port, route, undefined, '{"approved":true,"__proto__":{"comment":"pwned"}}'), /unknown field.*__proto__/);
    await expectRefused(postJson(host.port, route, undefined, '{"approved":true,"constructor":{"prototype":{"comment":"pwned"}}}'), /unknown field.*constructor/);
    await expectRefused(postJson(host.port, route, undefined, '{"$t":"object","v":{"approved":true}}'), /approved/);
    // No comment given: a polluted Object.prototype.comment would show up in the output here.
    expect((await postJson(host.port, route, { approved: true })).status).toBe(202);
    const answered = await waitForRun(host.port, 'smuggle-title', finished);
    expectSameData(answered.output, { approved: true, title, amount: 0 });
    await expectHostPrototypesUntouched(host.port);
  });

  it('serves runs named like prototype members as ordinary runs', async () => {
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
    for (const runId of names) expect((await postJson(host.port, 'workflows/factor-pairs/runs', { input: 6, runId })).status).toBe(202);
    for (const runId of names) {
      const done = await waitForRun(host.port, runId, finished);
      expect(done).toMatchObject({ runId, status: 'Completed', output: [[1, 6], [2, 3]] });
    }
    const listed = JSON.parse((await sendRaw(host.port, { method: 'GET', path: '/api/runs?workflow=factor-pairs&limit=100' })).text) as { items: Array<{ runId: string }> };
    expect(listed.items.map((run) => run.runId)).toEqual(expect.arrayContaining(names));
    await expectHostPrototypesUntouched(host.port);
  });

  it('leaves both processes unpolluted, and the host still runs a plain workflow to the end', async () => {
    await expectHostPrototypesUntouched(host.port);
    // The Cosmos protocol server runs in this process and stored every payload above.
    expectNoPollution();
    expect((await postJson(host.port, 'workflows/factor-pairs/runs', { input: 8, runId: 'smuggle-after' })).status).toBe(202);
    expect(await waitForRun(host.port, 'smuggle-after', finished)).toMatchObject({ status: 'Completed', output: [[1, 8], [2, 4]] });
    expect(host.isAlive()).toBe(true);
  });

  // `?__proto__=x` must be an own key of the parsed query, refused like any unknown parameter,
  // never a prototype change that would drop it silently.
  it('a query parameter named __proto__ is refused like any unknown parameter', async () => {
    const response = await sendRaw(host.port, { method: 'GET', path: '/api/runs?__proto__=x' });
    expect(response.status, response.text).toBe(400);
  });
});

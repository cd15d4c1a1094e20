import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, TypeRegistry, decodeValue, defaultRegistry, encodeValue } from '../../src/engine/codec';
import type { Json } from '../../src/engine/json';

class Money {
  constructor(readonly amount: bigint, readonly currency: string, readonly asOf: Date) {}
}
class Ledger {
  constructor(readonly entries: Money[]) {}
}

const registry = new TypeRegistry()
  .register('Money', Money, {
    encode: (m) => ({ amount: m.amount, currency: m.currency, asOf: m.asOf }),
    decode: (v) => new Money(v.amount, v.currency, v.asOf),
  })
  .register('Ledger', Ledger, { encode: (l) => l.entries, decode: (entries) => new Ledger(entries) });

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value, registry), registry);
/** Through real JSON text, as a checkpoint travels. */
const throughJson = (value: unknown): unknown =>
  decodeValue(JSON.parse(JSON.stringify(encodeValue(value, registry))) as Json, registry);

const hasOwn = (target: object, key: string) => Object.prototype.hasOwnProperty.call(target, key);
const plainPrototype = (p: unknown) => (p === null ? Object.prototype : p);

/**
 * Where two values differ, or undefined when they are the same: distinguishes -0 from 0, a missing
 * key from an undefined one, a hole from undefined, Buffer from Uint8Array, the class of an Error and
 * its name, message, stack, cause and other own properties. A null prototype counts as Object's.
 */
function difference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  const at = (what: string) => `${path}: ${what}`;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return at(`${String(a)} (${typeof a}) vs ${String(b)} (${typeof b})`);
  }
  if (plainPrototype(Object.getPrototypeOf(a)) !== plainPrototype(Object.getPrototypeOf(b))) {
    return at(`prototype ${a.constructor?.name} vs ${b.constructor?.name}`);
  }
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : at(`${a.getTime()} vs ${(b as Date).getTime()}`);
  if (a instanceof RegExp) return String(a) === String(b) ? undefined : at(`${String(a)} vs ${String(b)}`);
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array) === 0 ? undefined : at('bytes differ');
  if (a instanceof Map) return difference([...a], [...(b as Map<unknown, unknown>)], `${path}<Map>`);
  if (a instanceof Set) return difference([...a], [...(b as Set<unknown>)], `${path}<Set>`);
  if (a instanceof Error) {
    const e = b as Error;
    if (a.name !== e.name || a.message !== e.message || a.stack !== e.stack) return at(`error ${a.name}: ${a.message} vs ${e.name}: ${e.message}, or stack`);
    if (hasOwn(a, 'cause') !== hasOwn(e, 'cause')) return at('cause present on one side only');
    const cause = difference(a.cause, e.cause, `${path}.cause`);
    if (cause !== undefined) return cause;
    if (a instanceof AggregateError) {
      const errors = difference(a.errors, (e as AggregateError).errors, `${path}.errors`);
      if (errors !== undefined) return errors;
    }
  }
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return at(`length ${a.length} vs ${other.length}`);
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in other) return at(`hole at ${i} on one side only`);
      const item = difference(a[i], other[i], `${path}[${i}]`);
      if (item !== undefined) return item;
    }
    return undefined;
  }
  const keysA = Object.keys(a).sort();
  const keysB = Object.keys(b).sort();
  if (JSON.stringify(keysA) !== JSON.stringify(keysB)) return at(`keys ${JSON.stringify(keysA)} vs ${JSON.stringify(keysB)}`);
  for (const key of keysA) {
    const value = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
    if (value !== undefined) return value;
  }
  return undefined;
}

function expectSame(actual: unknown, expected: unknown): void {
  expect(difference(actual, expected)).toBeUndefined();
}

function codecError(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('expected a CodecError, but nothing was thrown');
}

/** Builds an object with own data properties, `__proto__` included. */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

// ---------------------------------------------------------------- arbitraries

const BUILT_IN_ERRORS = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('$t', 'v', '__proto__', 'constructor', 'prototype', 'toString'));

const leaf = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, -0, 0),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('$t', 'undefined', 'Date', 'class:Money'),
  fc.bigInt(),
  fc.date(),
  fc.uint8Array({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
  fc.record({
    source: fc.constantFrom('a+b', '^x$', '\\d{2,3}', '[a-z]*', '(?:)', '\\/path\\/'),
    flags: fc.subarray(['d', 'g', 'i', 'm', 's', 'u', 'y']),
  }).map(({ source, flags }) => new RegExp(source, flags.join(''))),
  fc.record({ amount: fc.bigInt(), currency: fc.constantFrom('EUR', 'USD'), asOf: fc.date() })
    .map(({ amount, currency, asOf }) => new Money(amount, currency, asOf)),
);

function buildError(spec: {
  type: ErrorConstructor; message: string; cause?: unknown; name?: string; code?: unknown; stack?: string | null;
}): Error {
  const error = hasOwn(spec, 'cause') ? new spec.type(spec.message, { cause: spec.cause }) : new spec.type(spec.message);
  if (spec.name !== undefined) error.name = spec.name;
  if (hasOwn(spec, 'code')) (error as Error & { code?: unknown }).code = spec.code;
  if (spec.stack === null) delete error.stack;
  else if (spec.stack !== undefined) error.stack = spec.stack;
  return error;
}

const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set'), tie('error'), tie('ledger')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(objectOf),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
  error: fc.oneof(
    fc.record(
      {
        type: fc.constantFrom(...BUILT_IN_ERRORS),
        message: fc.string({ maxLength: 10 }),
        cause: tie('value'),
        code: tie('value'),
        stack: fc.option(fc.string({ maxLength: 10 })),
      },
      { requiredKeys: ['type', 'message'] },
    ),
    // A name no built-in class has comes back as an Error carrying that name.
    fc.record({
      type: fc.constant(Error),
      message: fc.string({ maxLength: 10 }),
      name: fc.string({ maxLength: 8 }).filter((name) => !BUILT_IN_ERRORS.some((type) => type.name === name) && name !== 'AggregateError'),
    }),
    fc.tuple(fc.array(tie('value'), { maxLength: 3 }), fc.string({ maxLength: 10 })).map(([errors, message]) => new AggregateError(errors, message)),
  ).map((spec) => (spec instanceof Error ? spec : buildError(spec as Parameters<typeof buildError>[0]))),
  ledger: fc.array(leaf.filter((v) => v instanceof Money), { maxLength: 2 }).map((entries) => new Ledger(entries as Money[])),
}));

/** JSON as JSON.parse gives it (so no -0), without the tag key anywhere. */
const tagFreeJson = fc
  .jsonValue()
  .map((json) => JSON.parse(JSON.stringify(json)) as Json)
  .filter((json) => !JSON.stringify(json).includes('"$t"'));

// ---------------------------------------------------------------- properties

describe('value codec: round trips (properties)', () => {
  it('decode(encode(v)) is v for values mixing every supported kind, nested', () => {
    fc.assert(fc.property(anyValue, (value) => expectSame(roundTrip(value), value)), { numRuns: 400 });
  });

  it('the encoded form is real JSON: through JSON.stringify and JSON.parse it decodes to the same value', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const encoded = encodeValue(value, registry);
        expectSame(JSON.parse(JSON.stringify(encoded)), encoded);
        expectSame(throughJson(value), value);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips fc.anything with Dates, Maps, Sets, BigInts and null-prototype objects', () => {
    const anything = fc.anything({
      key, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, maxDepth: 4,
    });
    fc.assert(fc.property(anything, (value) => expectSame(throughJson(value), value)), { numRuns: 300 });
  });

  it('returns plain JSON data as it is, without copying, both ways', () => {
    fc.assert(
      fc.property(tagFreeJson, (json) => {
        expect(encodeValue(json)).toBe(json);
        expect(decodeValue(json)).toBe(json);
      }),
    );
  });

  it('keeps the shape of plain data and tags only what JSON cannot carry, sharing untouched parts', () => {
    const untouched = { list: [1, 'two', { three: true }], note: null };
    const value = { untouched, when: new Date(0), gap: [1, undefined], big: 10n };
    const encoded = encodeValue(value) as Record<string, Json>;
    expect(encoded).toEqual({
      untouched,
      when: { $t: 'Date', v: '1970-01-01T00:00:00.000Z' },
      gap: [1, { $t: 'undefined' }],
      big: { $t: 'bigint', v: '10' },
    });
    expect(encoded.untouched).toBe(untouched);
    expect(value.gap).toEqual([1, undefined]);
  });
});

// ---------------------------------------------------------------- examples

describe('value codec: values JSON cannot carry', () => {
  it('keeps undefined as a value, an array item and a property, and distinguishes it from a missing key', () => {
    expect(roundTrip(undefined)).toBeUndefined();
    const array = throughJson([1, undefined]) as unknown[];
    expect(array).toHaveLength(2);
    expect(1 in array).toBe(true);
    const object = throughJson({ a: undefined }) as Record<string, unknown>;
    expect('a' in object).toBe(true);
    expect(object.a).toBeUndefined();
    expect('b' in (throughJson({}) as object)).toBe(false);
  });

  it('keeps NaN, Infinity, -Infinity and -0', () => {
    for (const n of [NaN, Infinity, -Infinity, -0]) {
      expect(Object.is(throughJson(n), n)).toBe(true);
      expect(Object.is((throughJson({ n }) as { n: number }).n, n)).toBe(true);
    }
    expect(Object.is(throughJson(0), 0)).toBe(true);
  });

  it('keeps valid and invalid Dates, BigInts and RegExps with their flags', () => {
    expectSame(throughJson(new Date('2024-02-29T23:59:59.999Z')), new Date('2024-02-29T23:59:59.999Z'));
    expectSame(throughJson(new Date(8.64e15)), new Date(8.64e15));
    expectSame(throughJson(new Date(-8.64e15)), new Date(-8.64e15));
    const invalid = throughJson(new Date(NaN));
    expect(invalid).toBeInstanceOf(Date);
    expect(Number.isNaN((invalid as Date).getTime())).toBe(true);
    expect(throughJson(-(2n ** 100n))).toBe(-(2n ** 100n));
    const regexp = throughJson(/a\/b+[c-d]/gimsuy) as RegExp;
    expect(regexp).toBeInstanceOf(RegExp);
    expect([regexp.source, regexp.flags]).toEqual(['a\\/b+[c-d]', 'gimsuy']);
  });

  it('decodes a Buffer as a Buffer and a Uint8Array as a Uint8Array, only the bytes of a view', () => {
    const buffer = throughJson(Buffer.from('hello'));
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect((buffer as Buffer).toString()).toBe('hello');
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(encodeValue(view)).toEqual({ $t: 'Uint8Array', v: Buffer.from([1, 2, 3]).toString('base64') });
    const bytes = throughJson(view) as Uint8Array;
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it('keeps Maps with any keys and Sets, in order', () => {
    const objectKey = { id: 1 };
    const map = new Map<unknown, unknown>([[objectKey, 'object'], [1n, 'bigint'], [NaN, 'nan'], [undefined, new Set([new Date(0), 'x'])]]);
    expectSame(throughJson(map), map);
  });

  it('turns holes of sparse arrays into undefined, and duplicates shared references', () => {
    const sparse = throughJson([1, , 3]) as unknown[];
    expect(1 in sparse).toBe(true);
    expect(sparse).toEqual([1, undefined, 3]);
    const shared = { when: new Date(0) };
    const [first, second] = roundTrip([shared, shared]) as unknown[];
    expect(first).not.toBe(second);
    expectSame(first, shared);
    expectSame(second, shared);
  });

  it('keeps errors: class, name, message, stack, cause (recursively), own properties such as code', () => {
    const root = new RangeError('too far');
    const error = Object.assign(new TypeError('bad input', { cause: root }), { code: 'E_INPUT', at: new Date(0) });
    const decoded = throughJson(error) as TypeError & { code: string; at: Date };
    expect(decoded).toBeInstanceOf(TypeError);
    expect(decoded.cause).toBeInstanceOf(RangeError);
    expect(decoded.stack).toBe(error.stack);
    expect(decoded.code).toBe('E_INPUT');
    expectSame(decoded, error);
    expect('cause' in (throughJson(new Error('no cause')) as Error)).toBe(false);
    expect(hasOwn(throughJson(new Error('x', { cause: undefined })) as Error, 'cause')).toBe(true);
  });

  it('brings an unknown error name back as an Error with that name, and an error without stack without one', () => {
    class HttpError extends Error {
      override name = 'HttpError';
    }
    const decoded = throughJson(new HttpError('teapot')) as Error;
    expect(Object.getPrototypeOf(decoded)).toBe(Error.prototype);
    expect([decoded.name, decoded.message]).toEqual(['HttpError', 'teapot']);
    const stackless = new Error('x');
    delete stackless.stack;
    expect((throughJson(stackless) as Error).stack).toBeUndefined();
  });

  it('keeps AggregateErrors with their errors', () => {
    const error = new AggregateError([new Error('a'), 42], 'both failed', { cause: 'why' });
    const decoded = throughJson(error) as AggregateError;
    expect(decoded).toBeInstanceOf(AggregateError);
    expectSame(decoded, error);
  });
});

describe('value codec: plain objects whose keys look like tags', () => {
  it('escapes an object with its own "$t" key and decodes it as plain data', () => {
    const lookalike = { $t: 'Date', v: '1970-01-01T00:00:00.000Z' };
    const encoded = encodeValue(lookalike);
    expect(encoded).toEqual({ $t: 'object', v: lookalike });
    expect(throughJson(lookalike)).toEqual(lookalike);
    expect(throughJson({ $t: 'undefined' })).toEqual({ $t: 'undefined' });
    expect(throughJson({ $t: 'object', v: { $t: 'nope' } })).toEqual({ $t: 'object', v: { $t: 'nope' } });
    expectSame(throughJson({ $t: new Date(0), v: [undefined] }), { $t: new Date(0), v: [undefined] });
  });

  it('leaves a "v" key or a "$t" string value alone', () => {
    const value = { v: 1, kind: '$t', list: ['$t'] };
    expect(encodeValue(value)).toBe(value);
  });
});

describe('value codec: registered classes', () => {
  it('round-trips a registered class whose encoded form holds Dates, BigInts and other registered classes', () => {
    const ledger = new Ledger([new Money(1999n, 'EUR', new Date(0)), new Money(-5n, 'USD', new Date(NaN))]);
    const encoded = encodeValue(ledger, registry);
    expect(encoded).toMatchObject({ $t: 'class:Ledger', v: [{ $t: 'class:Money', v: { amount: { $t: 'bigint', v: '1999' } } }, {}] });
    const decoded = throughJson(ledger) as Ledger;
    expect(decoded).toBeInstanceOf(Ledger);
    expect(decoded.entries[0]).toBeInstanceOf(Money);
    expectSame(decoded, ledger);
  });

  it('refuses a name registered twice for different classes, and a class registered under two names', () => {
    class Other {}
    const codec = { encode: () => null, decode: () => new Other() };
    const local = new TypeRegistry().register('Thing', Other, codec);
    expect(() => local.register('Thing', Other, codec)).not.toThrow();
    expect(() => local.register('Thing', Money, { encode: () => null, decode: () => new Money(0n, '', new Date(0)) })).toThrow(/'Thing' is already registered for class Other/);
    expect(() => local.register('Alias', Other, codec)).toThrow(/Other is already registered as 'Thing'/);
    expect(() => local.register('', Other, codec)).toThrow(/non-empty name/);
    expect(() => local.register('MyDate', Date, { encode: String, decode: (s) => new Date(s) })).toThrow(/encoded by the codec itself/);
  });

  it('starts with an empty default registry', () => {
    expect(defaultRegistry.has('Money')).toBe(false);
    expect(codecError(() => encodeValue(new Money(1n, 'EUR', new Date(0)))).message).toMatch(/instance of Money/);
  });

  it('reports what a registered codec throws, and a decode that returns something else, with the path', () => {
    class Fragile {}
    const local = new TypeRegistry().register('Fragile', Fragile, {
      encode: () => { throw new Error('cannot encode today'); },
      decode: () => ({}) as Fragile,
    });
    const thrown = codecError(() => encodeValue({ x: new Fragile() }, local));
    expect(thrown.path).toBe('$.x<Fragile>');
    expect(thrown.message).toMatch(/encode of registered type 'Fragile' threw: cannot encode today/);
    expect(thrown.cause).toBeInstanceOf(Error);
    const wrong = codecError(() => decodeValue({ $t: 'class:Fragile', v: null }, local));
    expect(wrong.message).toMatch(/returned \{\}, not an instance of Fragile/);
  });

  it('does not cover unregistered subclasses of a registered class', () => {
    class Coin extends Money {}
    expect(codecError(() => encodeValue([new Coin(1n, 'EUR', new Date(0))], registry)).message).toMatch(/instance of Coin.*at \$\[0\]/);
  });
});

describe('value codec: what it refuses to encode', () => {
  it('reports a cycle with the path where it closes', () => {
    const a: { b: unknown[] } = { b: [0, 1, 2] };
    a.b[3] = a;
    const error = codecError(() => encodeValue(a));
    expect(error.path).toBe('$.b[3]');
    expect(error.message).toMatch(/cycle.*at \$\.b\[3\]/);
    const map = new Map<string, unknown>();
    map.set('self', map);
    expect(codecError(() => encodeValue({ map })).path).toBe('$.map[#0 value]');
    class Loop {}
    const loop = new TypeRegistry().register('Loop', Loop, { encode: (l) => l, decode: () => new Loop() });
    expect(codecError(() => encodeValue(new Loop(), loop)).message).toMatch(/cycle/);
  });

  it('refuses functions, symbols, WeakMaps, Promises and unregistered class instances, naming path and constructor', () => {
    const cases: Array<[unknown, RegExp, string]> = [
      [{ a: { run: function run() {} } }, /function \(run\)/, '$.a.run'],
      [[Symbol('s')], /symbol \(Symbol\(s\)\)/, '$[0]'],
      [{ 'odd key': new WeakMap() }, /instance of WeakMap/, '$["odd key"]'],
      [new Set([Promise.resolve()]), /instance of Promise/, '$[#0]'],
      [{ x: new (class Widget {})() }, /instance of Widget; register its class/, '$.x'],
      [{ typed: new Int16Array(2) }, /instance of Int16Array/, '$.typed'],
    ];
    for (const [value, message, path] of cases) {
      const error = codecError(() => encodeValue(value));
      expect(error.message).toMatch(message);
      expect(error.path).toBe(path);
    }
  });

  it('reports nesting deeper than the stack allows as a CodecError', () => {
    let deep: unknown = new Date(0);
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(codecError(() => encodeValue(deep)).message).toMatch(/nested too deeply/);
    let fine: unknown = new Date(0);
    for (let i = 0; i < 1000; i++) fine = { next: fine };
    expectSame(throughJson(fine), fine);
  });
});

describe('value codec: what it refuses to decode', () => {
  it('names an unknown tag and its path, never dropping it', () => {
    const error = codecError(() => decodeValue({ x: [0, { $t: 'Nope', v: 1 }] }));
    expect(error.message).toMatch(/unknown tag 'Nope'/);
    expect(error.path).toBe('$.x[1]');
    expect(codecError(() => decodeValue({ $t: 'class:Money', v: {} })).message).toMatch(/unknown tag 'class:Money': no class 'Money' is registered/);
  });

  it('refuses malformed tag payloads', () => {
    const cases: Array<[Json, RegExp]> = [
      [{ $t: 'Date', v: 0 }, /tag 'Date' needs an ISO 8601 time/],
      [{ $t: 'Date', v: '2024-13-01T00:00:00.000Z' }, /tag 'Date'/],
      [{ $t: 'Date', v: 'Tue, 01 Jan 2024' }, /tag 'Date'/],
      [{ $t: 'Uint8Array', v: 'not base64!' }, /tag 'Uint8Array' needs a base64 string/],
      [{ $t: 'Buffer', v: 'abc' }, /tag 'Buffer' needs a base64 string/],
      [{ $t: 'bigint', v: 'abc' }, /tag 'bigint' needs a decimal integer string, not "abc"/],
      [{ $t: 'bigint', v: 12 }, /tag 'bigint'/],
      [{ $t: 'number', v: 'Infinityish' }, /tag 'number' needs one of/],
      [{ $t: 'RegExp', v: ['(', ''] }, /invalid pattern/],
      [{ $t: 'RegExp', v: ['a', 'zz'] }, /invalid/],
      [{ $t: 'Map', v: [[1]] }, /\[key, value\] pairs/],
      [{ $t: 'Map', v: [[1, 'a'], [1, 'b']] }, /holds the key 1 twice/],
      [{ $t: 'Set', v: {} }, /tag 'Set' needs a list/],
      [{ $t: 'undefined', v: null }, /takes no payload/],
      [{ $t: 'object', v: [1] }, /tag 'object' needs an object/],
      [{ $t: 'Date', v: '1970-01-01T00:00:00.000Z', extra: 1 }, /unexpected key "extra"/],
      [{ $t: 7 }, /needs a string in "\$t"/],
      [{ $t: 'Error', v: { name: 'Error' } }, /string name and message/],
      [{ $t: 'Error', v: { name: 'Error', message: 'm', eval: 'x' } }, /unexpected field "eval"/],
      [{ $t: 'Error', v: { name: 'Error', message: 'm', errors: [] } }, /only for an AggregateError/],
    ];
    for (const [json, message] of cases) {
      const error = codecError(() => decodeValue({ deep: [json] }));
      expect(error.message).toMatch(message);
      expect(error.path).toBe('$.deep[0]');
    }
  });

  it('refuses values that are not JSON', () => {
    for (const [json, message] of [
      [{ a: NaN }, /not JSON: the number NaN at \$\.a/],
      [[undefined], /not JSON: undefined at \$\[0\]/],
      [{ when: new Date(0) }, /not JSON: an instance of Date at \$\.when/],
    ] as Array<[Json, RegExp]>) {
      expect(codecError(() => decodeValue(json)).message).toMatch(message);
    }
    const cyclic: Record<string, Json> = { $t: 'object' };
    cyclic.v = cyclic;
    expect(codecError(() => decodeValue(cyclic)).message).toMatch(/contains itself/);
  });
});

describe('value codec: prototype pollution and code', () => {
  const assertUnpolluted = () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  };
  const ownProto = (value: unknown) => {
    const object = value as object;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(hasOwn(object, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ polluted: 1 });
  };

  it('keeps "__proto__", "constructor" and "prototype" as own data properties when decoding', () => {
    ownProto(decodeValue(JSON.parse('{"__proto__": {"polluted": 1}}') as Json));
    const copied = decodeValue(JSON.parse('{"__proto__": {"polluted": 1}, "when": {"$t": "Date", "v": null}}') as Json);
    ownProto(copied);
    const escaped = decodeValue(JSON.parse('{"$t": "object", "v": {"$t": 1, "__proto__": {"polluted": 1}, "x": {"$t": "undefined"}}}') as Json);
    ownProto(escaped);
    const keys = decodeValue(JSON.parse('{"constructor": {"prototype": {"polluted": 1}}, "prototype": 1, "x": {"$t": "bigint", "v": "1"}}') as Json);
    expect(Object.getPrototypeOf(keys)).toBe(Object.prototype);
    expect(keys).toEqual({ constructor: { prototype: { polluted: 1 } }, prototype: 1, x: 1n });
    assertUnpolluted();
  });

  it('keeps them as data inside Map entries, Sets, errors and registered payloads', () => {
    const map = decodeValue(JSON.parse('{"$t": "Map", "v": [["__proto__", {"__proto__": {"polluted": 1}, "d": {"$t": "Date", "v": null}}]]}') as Json) as Map<string, unknown>;
    expect([...map.keys()]).toEqual(['__proto__']);
    ownProto(map.get('__proto__'));
    const set = decodeValue(JSON.parse('{"$t": "Set", "v": [{"__proto__": {"polluted": 1}, "u": {"$t": "undefined"}}]}') as Json) as Set<unknown>;
    ownProto([...set][0]);
    const error = decodeValue(JSON.parse('{"$t": "Error", "v": {"name": "__proto__", "message": "m", "props": {"__proto__": {"polluted": 1}}}}') as Json) as Error;
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect(error.name).toBe('__proto__');
    expect(Object.getOwnPropertyDescriptor(error, '__proto__')?.value).toEqual({ polluted: 1 });
    const money = decodeValue(JSON.parse('{"$t": "class:Money", "v": {"__proto__": {"polluted": 1}, "amount": {"$t": "bigint", "v": "1"}}}') as Json, registry);
    expect(money).toBeInstanceOf(Money);
    assertUnpolluted();
  });

  it('keeps them as own properties when encoding', () => {
    const value = objectOf([['__proto__', { polluted: 1 }], ['constructor', 'c'], ['when', new Date(0)]]);
    const encoded = encodeValue(value) as object;
    ownProto(encoded);
    expect(JSON.parse(JSON.stringify(encoded))).toEqual(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "when": {"$t": "Date", "v": "1970-01-01T00:00:00.000Z"}}'));
    ownProto(throughJson(value));
    assertUnpolluted();
  });

  it('never turns tag names or error names into code or constructors', () => {
    for (const tag of ['__proto__', 'constructor', 'toString', 'Function', 'class:__proto__', 'class:constructor', 'class:toString', 'class:Function']) {
      expect(codecError(() => decodeValue({ $t: tag, v: 'return process' }, registry)).message).toMatch(/unknown tag/);
    }
    for (const name of ['Function', 'constructor', 'toString', 'Object']) {
      const error = decodeValue({ $t: 'Error', v: { name, message: 'return process' } }) as Error;
      expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
      expect(error.name).toBe(name);
    }
    assertUnpolluted();
  });
});

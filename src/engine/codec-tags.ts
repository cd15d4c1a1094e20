import type { Json } from './json';

/**
 * The tag format. A value JSON cannot carry becomes `{ "$t": <tag>, "v": <payload> }`; everything
 * else is left as it is. A plain object that has a `$t` key of its own is wrapped in the `object`
 * tag, so data can never be mistaken for a tag.
 */
export const TAG_KEY = '$t';
export const PAYLOAD_KEY = 'v';

export const Tag = {
  undefined: 'undefined',
  number: 'number',
  bigint: 'bigint',
  date: 'Date',
  regexp: 'RegExp',
  map: 'Map',
  set: 'Set',
  bytes: 'Uint8Array',
  buffer: 'Buffer',
  error: 'Error',
  object: 'object',
} as const;

/** Instances of a class registered as `Money` are tagged `class:Money`. */
export const CLASS_TAG_PREFIX = 'class:';

export function tagged(tag: string, payload?: Json): Json {
  return payload === undefined ? { $t: tag } : { $t: tag, v: payload };
}

/** A path segment that is printed as it is (map entries, set items, registered classes). */
export class Segment {
  constructor(readonly text: string) {}
}
/** Object keys are strings, array indexes numbers. */
export type PathSegment = string | number | Segment;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (segment instanceof Segment) path += segment.text;
    else path += IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** What the codec throws for a value it cannot encode or a JSON it cannot decode. */
export class CodecError extends Error {
  override name = 'CodecError';
  constructor(reason: string, readonly path: string, options?: { cause?: unknown }) {
    super(`${reason} at ${path}`, options);
  }
}

export type Fail = (reason: string) => never;

export const hasOwn = (target: object, key: string): boolean => Object.prototype.hasOwnProperty.call(target, key);

/** Sets an own data property, also for the key `__proto__`, whose assignment would set the prototype. */
export function setOwn(target: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

export function isJsonRecord(value: Json | undefined): value is { [key: string]: Json } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A short rendering of a malformed payload for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

// --- numbers JSON cannot carry ---

const SPECIAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

export function encodeSpecialNumber(value: number): Json {
  return tagged(Tag.number, Object.is(value, -0) ? '-0' : String(value));
}

export function decodeSpecialNumber(payload: Json | undefined, fail: Fail): number {
  const value = typeof payload === 'string' ? SPECIAL_NUMBERS.get(payload) : undefined;
  if (value === undefined) return fail(`tag 'number' needs one of NaN, Infinity, -Infinity, -0, not ${describeValue(payload)}`);
  return value;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

export function decodeBigInt(payload: Json | undefined, fail: Fail): bigint {
  if (typeof payload !== 'string' || !INTEGER.test(payload)) {
    return fail(`tag 'bigint' needs a decimal integer string, not ${describeValue(payload)}`);
  }
  return BigInt(payload);
}

// --- Date: canonical ISO string, or null for an invalid date ---

export function encodeDate(date: Date): Json {
  return tagged(Tag.date, Number.isNaN(date.getTime()) ? null : date.toISOString());
}

export function decodeDate(payload: Json | undefined, fail: Fail): Date {
  if (payload === null) return new Date(NaN);
  const date = typeof payload === 'string' ? new Date(payload) : undefined;
  if (date === undefined || Number.isNaN(date.getTime()) || date.toISOString() !== payload) {
    return fail(`tag 'Date' needs an ISO 8601 time like 2024-01-31T12:00:00.000Z or null, not ${describeValue(payload)}`);
  }
  return date;
}

// --- RegExp: [source, flags]; lastIndex is not kept ---

export function encodeRegExp(regexp: RegExp): Json {
  return tagged(Tag.regexp, [regexp.source, regexp.flags]);
}

export function decodeRegExp(payload: Json | undefined, fail: Fail): RegExp {
  if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[0] !== 'string' || typeof payload[1] !== 'string') {
    return fail(`tag 'RegExp' needs [source, flags], not ${describeValue(payload)}`);
  }
  try {
    return new RegExp(payload[0], payload[1]);
  } catch (error) {
    return fail(`tag 'RegExp' holds an invalid pattern: ${(error as Error).message}`);
  }
}

// --- bytes: base64 ---

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBytes(bytes: Uint8Array): Json {
  const tag = Buffer.isBuffer(bytes) ? Tag.buffer : Tag.bytes;
  return tagged(tag, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
}

export function decodeBytes(tag: typeof Tag.bytes | typeof Tag.buffer, payload: Json | undefined, fail: Fail): Uint8Array {
  if (typeof payload !== 'string' || !BASE64.test(payload)) return fail(`tag '${tag}' needs a base64 string, not ${describeValue(payload)}`);
  const buffer = Buffer.from(payload, 'base64');
  // A copy, so the Uint8Array owns its memory rather than a slice of Buffer's shared pool.
  return tag === Tag.buffer ? buffer : new Uint8Array(buffer);
}

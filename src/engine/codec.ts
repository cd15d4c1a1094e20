import type { Json } from './json';
import { decodeError, encodeError } from './codec-errors';
import { defaultRegistry, type RegisteredType, type TypeRegistry } from './codec-registry';
import {
  CLASS_TAG_PREFIX, CodecError, PAYLOAD_KEY, Segment, TAG_KEY, Tag, decodeBigInt, decodeBytes, decodeDate, decodeRegExp,
  decodeSpecialNumber, describeValue, encodeBytes, encodeDate, encodeRegExp, encodeSpecialNumber, formatPath, hasOwn,
  isJsonRecord, setOwn, tagged, type Fail, type PathSegment,
} from './codec-tags';

export { CodecError } from './codec-tags';
export { TypeRegistry, defaultRegistry, type TypeCodec } from './codec-registry';

/*
 * The value codec: supported values <-> type-tagged JSON (tag format in codec-tags.ts). Plain JSON
 * data is left as it is, and is not copied: the result of encodeValue and decodeValue shares every
 * subtree that needed no tag with its input, so serialize or copy it before mutating either side.
 * What does not survive the round trip, on purpose:
 * - shared references (that are not cycles) are encoded once per place, so they may come back as
 *   separate copies;
 * - holes of sparse arrays come back as undefined; extra properties on arrays are not kept;
 * - only own enumerable string-keyed properties of plain objects are kept, and objects with a null
 *   prototype come back with Object.prototype; RegExp lastIndex is not kept.
 * Cycles, functions, symbols and instances of classes that are neither built in nor registered are
 * CodecErrors. Decoding never evaluates code and never sets a prototype from data.
 */

interface Walk {
  readonly registry: TypeRegistry;
  /** The objects from the root to here: meeting one of them again is a cycle. */
  readonly ancestors: Set<object>;
  readonly path: PathSegment[];
  readonly fail: Fail;
}

type Convert = (value: unknown, walk: Walk) => unknown;

export function encodeValue(value: unknown, registry: TypeRegistry = defaultRegistry): Json {
  return run(encodeAt, value, registry) as Json;
}

export function decodeValue(json: Json, registry: TypeRegistry = defaultRegistry): unknown {
  return run(decodeAt, json, registry);
}

/**
 * Deeper than this (below where it started) the fast check gives up and leaves the subtree to the
 * full walk, which finds cycles. It also bounds the rescanning of a subtree to this many levels.
 */
const FAST_CHECK_MAX_DEPTH = 128;

/**
 * The fast path, tried on each object before the full walk: true when the subtree is JSON that
 * neither needs a tag nor holds one, so it is returned as it is. No path, no cycle bookkeeping, no
 * allocation; anything unusual (even -0, which decoding would keep anyway) answers false.
 */
function isTagFreeJson(value: unknown, depth: number): value is Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case 'object': {
      if (value === null) return true;
      if (depth >= FAST_CHECK_MAX_DEPTH) return false;
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Array.prototype) {
        const array = value as unknown[];
        for (let index = 0; index < array.length; index++) if (!isTagFreeJson(array[index], depth + 1)) return false;
        return true;
      }
      if (prototype !== Object.prototype && prototype !== null) return false;
      // for...in also visits inherited enumerable keys; that can only send the value to the full walk.
      for (const key in value) {
        if (key === TAG_KEY || !isTagFreeJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function run(convert: Convert, value: unknown, registry: TypeRegistry): unknown {
  const path: PathSegment[] = [];
  const fail: Fail = (reason) => {
    throw new CodecError(reason, formatPath(path));
  };
  try {
    return convert(value, { registry, ancestors: new Set(), path, fail });
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new CodecError('value is nested too deeply', `${formatPath(path.slice(0, 20))}…`, { cause: error });
    }
    throw error;
  }
}

function convertChild(convert: Convert, value: unknown, segment: PathSegment, walk: Walk): unknown {
  walk.path.push(segment);
  const converted = convert(value, walk);
  walk.path.pop();
  return converted;
}

/** Converts each item; copies only once an item changes, so untouched data is returned as it is. */
function mapArray(array: readonly unknown[], walk: Walk, convert: Convert): unknown[] {
  let copy: unknown[] | undefined;
  for (let index = 0; index < array.length; index++) {
    const item = array[index];
    const converted = convertChild(convert, item, index, walk);
    if (copy === undefined && converted !== item) copy = array.slice(0, index);
    if (copy !== undefined) copy.push(converted);
  }
  return copy ?? (array as unknown[]);
}

function mapRecord(record: Record<string, unknown>, walk: Walk, convert: Convert): Record<string, unknown> {
  const keys = Object.keys(record);
  let copy: Record<string, unknown> | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index];
    const value = record[key];
    const converted = convertChild(convert, value, key, walk);
    if (copy === undefined && converted !== value) {
      copy = {};
      for (let before = 0; before < index; before++) setOwn(copy, keys[before], record[keys[before]]);
    }
    if (copy !== undefined) setOwn(copy, key, converted);
  }
  return copy ?? record;
}

function callUserCodec<T>(call: () => T, what: string, walk: Walk): T {
  try {
    return call();
  } catch (error) {
    const reason = `${what} threw: ${error instanceof Error ? error.message : String(error)}`;
    throw new CodecError(reason, formatPath(walk.path), { cause: error });
  }
}

function constructorName(prototype: unknown): string {
  const constructor = (prototype as { constructor?: unknown }).constructor;
  return typeof constructor === 'function' && constructor.name ? constructor.name : 'an anonymous class';
}

// ---------------------------------------------------------------- encode

function encodeAt(value: unknown, walk: Walk): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0) ? value : encodeSpecialNumber(value);
    case 'undefined':
      return tagged(Tag.undefined);
    case 'bigint':
      return tagged(Tag.bigint, value.toString());
    case 'object': {
      if (isTagFreeJson(value, 0)) return value;
      if (walk.ancestors.has(value)) return walk.fail('cannot encode a cycle: this object contains itself');
      walk.ancestors.add(value);
      const encoded = encodeObject(value, walk);
      walk.ancestors.delete(value);
      return encoded;
    }
    case 'function':
      return walk.fail(`cannot encode a function${value.name ? ` (${value.name})` : ''}`);
    default:
      return walk.fail(`cannot encode a ${typeof value} (${String(value)})`);
  }
}

function encodeObject(object: object, walk: Walk): Json {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === Array.prototype) return mapArray(object as unknown[], walk, encodeAt) as Json;
  if (prototype === Object.prototype || prototype === null) {
    const encoded = mapRecord(object as Record<string, unknown>, walk, encodeAt) as Json;
    return hasOwn(object, TAG_KEY) ? tagged(Tag.object, encoded) : encoded;
  }
  const registered = walk.registry.byPrototype(prototype as object);
  if (registered !== undefined) return encodeRegistered(object, registered, walk);
  switch (prototype) {
    case Date.prototype:
      return encodeDate(object as Date);
    case RegExp.prototype:
      return encodeRegExp(object as RegExp);
    case Uint8Array.prototype:
    case Buffer.prototype:
      return encodeBytes(object as Uint8Array);
    case Map.prototype:
      return tagged(Tag.map, encodeMapEntries(object as Map<unknown, unknown>, walk));
    case Set.prototype:
      return tagged(Tag.set, [...(object as Set<unknown>)].map((item, index) => encodeItem(item, index, walk)));
  }
  if (object instanceof Error) {
    return encodeError(object, (value, key) => convertChild(encodeAt, value, key, walk) as Json);
  }
  return walk.fail(`cannot encode an instance of ${constructorName(prototype)}; register its class in a TypeRegistry`);
}

function encodeItem(item: unknown, index: number, walk: Walk): Json {
  return convertChild(encodeAt, item, new Segment(`[#${index}]`), walk) as Json;
}

function encodeMapEntries(map: Map<unknown, unknown>, walk: Walk): Json[] {
  return [...map].map(([key, value], index) => [
    convertChild(encodeAt, key, new Segment(`[#${index} key]`), walk) as Json,
    convertChild(encodeAt, value, new Segment(`[#${index} value]`), walk) as Json,
  ]);
}

function encodeRegistered(instance: object, registered: RegisteredType, walk: Walk): Json {
  walk.path.push(new Segment(`<${registered.name}>`));
  const inner = callUserCodec(() => registered.codec.encode(instance), `encode of registered type '${registered.name}'`, walk);
  const encoded = encodeAt(inner, walk);
  walk.path.pop();
  return tagged(CLASS_TAG_PREFIX + registered.name, encoded);
}

// ---------------------------------------------------------------- decode

function decodeAt(json: unknown, walk: Walk): unknown {
  switch (typeof json) {
    case 'string':
    case 'boolean':
      return json;
    case 'number':
      return Number.isFinite(json) ? json : walk.fail(`not JSON: the number ${json}`);
    case 'object': {
      if (isTagFreeJson(json, 0)) return json;
      if (walk.ancestors.has(json)) return walk.fail('not JSON: this object contains itself');
      walk.ancestors.add(json);
      const decoded = decodeObject(json, walk);
      walk.ancestors.delete(json);
      return decoded;
    }
    default:
      return walk.fail(`not JSON: ${json === undefined ? 'undefined' : `a ${typeof json}`}`);
  }
}

function decodeObject(object: object, walk: Walk): unknown {
  if (Array.isArray(object)) return mapArray(object, walk, decodeAt);
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) return walk.fail(`not JSON: an instance of ${constructorName(prototype)}`);
  const record = object as Record<string, unknown>;
  return hasOwn(record, TAG_KEY) ? decodeTagged(record, walk) : mapRecord(record, walk, decodeAt);
}

function decodeTagged(record: Record<string, unknown>, walk: Walk): unknown {
  const tag = record[TAG_KEY];
  const fail = walk.fail;
  if (typeof tag !== 'string') return fail(`a tag needs a string in "${TAG_KEY}", not ${describeValue(tag)}`);
  for (const key of Object.keys(record)) {
    if (key !== TAG_KEY && key !== PAYLOAD_KEY) return fail(`tag '${tag}' has an unexpected key ${JSON.stringify(key)}`);
  }
  const payload = (hasOwn(record, PAYLOAD_KEY) ? record[PAYLOAD_KEY] : undefined) as Json | undefined;
  switch (tag) {
    case Tag.undefined:
      return payload === undefined ? undefined : fail(`tag 'undefined' takes no payload, not ${describeValue(payload)}`);
    case Tag.number:
      return decodeSpecialNumber(payload, fail);
    case Tag.bigint:
      return decodeBigInt(payload, fail);
    case Tag.date:
      return decodeDate(payload, fail);
    case Tag.regexp:
      return decodeRegExp(payload, fail);
    case Tag.bytes:
    case Tag.buffer:
      return decodeBytes(tag, payload, fail);
    case Tag.map:
      return decodeMap(payload, walk);
    case Tag.set:
      return decodeSet(payload, walk);
    case Tag.error:
      return decodeError(payload, (json, key) => convertChild(decodeAt, json, key, walk), fail);
    case Tag.object:
      return isJsonRecord(payload) ? mapRecord(payload, walk, decodeAt) : fail(`tag 'object' needs an object, not ${describeValue(payload)}`);
  }
  if (tag.startsWith(CLASS_TAG_PREFIX)) return decodeRegistered(tag.slice(CLASS_TAG_PREFIX.length), payload, walk);
  return fail(`unknown tag '${tag}'`);
}

function decodeMap(payload: Json | undefined, walk: Walk): Map<unknown, unknown> {
  if (!Array.isArray(payload)) return walk.fail(`tag 'Map' needs a list of [key, value] pairs, not ${describeValue(payload)}`);
  const map = new Map<unknown, unknown>();
  payload.forEach((entry, index) => {
    if (!Array.isArray(entry) || entry.length !== 2) walk.fail(`tag 'Map' needs [key, value] pairs, not ${describeValue(entry)}`);
    const key = convertChild(decodeAt, entry[0], new Segment(`[#${index} key]`), walk);
    if (map.has(key)) walk.fail(`tag 'Map' holds the key ${describeValue(entry[0])} twice`);
    map.set(key, convertChild(decodeAt, entry[1], new Segment(`[#${index} value]`), walk));
  });
  return map;
}

function decodeSet(payload: Json | undefined, walk: Walk): Set<unknown> {
  if (!Array.isArray(payload)) return walk.fail(`tag 'Set' needs a list, not ${describeValue(payload)}`);
  const set = new Set<unknown>();
  payload.forEach((json, index) => {
    const item = convertChild(decodeAt, json, new Segment(`[#${index}]`), walk);
    if (set.has(item)) walk.fail(`tag 'Set' holds ${describeValue(json)} twice`);
    set.add(item);
  });
  return set;
}

function decodeRegistered(name: string, payload: Json | undefined, walk: Walk): unknown {
  const registered = walk.registry.byName(name);
  if (registered === undefined) return walk.fail(`unknown tag '${CLASS_TAG_PREFIX}${name}': no class '${name}' is registered`);
  if (payload === undefined) return walk.fail(`tag '${CLASS_TAG_PREFIX}${name}' needs a payload`);
  walk.path.push(new Segment(`<${name}>`));
  const inner = decodeAt(payload, walk);
  const instance = callUserCodec(() => registered.codec.decode(inner), `decode of registered type '${name}'`, walk);
  if (!(instance instanceof registered.type)) {
    walk.fail(`decode of registered type '${name}' returned ${describeValue(instance)}, not an instance of ${registered.type.name}`);
  }
  walk.path.pop();
  return instance;
}

import type { Json } from './json';
import { Tag, describeValue, hasOwn, isJsonRecord, setOwn, tagged, type Fail } from './codec-tags';

/** Encodes or decodes a value nested in an error (cause, errors, props) under the given path key. */
export type EncodeChild = (value: unknown, key: string) => Json;
export type DecodeChild = (json: Json, key: string) => unknown;

/*
 * Payload of the Error tag: { name, message, stack?, cause?, errors?, props? }. `cause` is present
 * exactly when the error has its own cause; `errors` only for an AggregateError; `props` holds the
 * other own enumerable properties (such as `code`).
 */
const ERROR_FIELDS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause', 'errors', 'props']);

const BUILT_IN_ERRORS: ReadonlyMap<string, ErrorConstructor> = new Map(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((type) => [type.name, type]),
);

export function encodeError(error: Error, encodeChild: EncodeChild): Json {
  const payload: { [key: string]: Json } = { name: String(error.name), message: String(error.message) };
  if (typeof error.stack === 'string') payload.stack = error.stack;
  if (hasOwn(error, 'cause')) payload.cause = encodeChild(error.cause, 'cause');
  const aggregate = error instanceof AggregateError;
  if (aggregate) payload.errors = encodeChild(error.errors, 'errors');
  let props: { [key: string]: Json } | undefined;
  for (const key of Object.keys(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || (aggregate && key === 'errors')) continue;
    props ??= {};
    setOwn(props, key, encodeChild((error as unknown as Record<string, unknown>)[key], key));
  }
  if (props !== undefined) payload.props = props;
  return tagged(Tag.error, payload);
}

/** Built-in error names come back as their class; any other name as an Error carrying that name. */
export function decodeError(payload: Json | undefined, decodeChild: DecodeChild, fail: Fail): Error {
  if (!isJsonRecord(payload)) return fail(`tag 'Error' needs { name, message, ... }, not ${describeValue(payload)}`);
  const unexpected = Object.keys(payload).find((key) => !ERROR_FIELDS.has(key));
  if (unexpected !== undefined) return fail(`tag 'Error' has an unexpected field ${JSON.stringify(unexpected)}`);
  const field = (key: string): Json | undefined => (hasOwn(payload, key) ? payload[key] : undefined);
  const [name, message, stack, errors, props] = ['name', 'message', 'stack', 'errors', 'props'].map(field);
  if (typeof name !== 'string' || typeof message !== 'string') return fail(`tag 'Error' needs a string name and message`);
  if (stack !== undefined && typeof stack !== 'string') return fail(`tag 'Error' needs a string stack, not ${describeValue(stack)}`);
  if (errors !== undefined && (name !== 'AggregateError' || !Array.isArray(errors))) {
    return fail(`tag 'Error' may hold a list of errors only for an AggregateError`);
  }
  if (props !== undefined && !isJsonRecord(props)) return fail(`tag 'Error' needs an object of props, not ${describeValue(props)}`);

  const options = hasOwn(payload, 'cause') ? { cause: decodeChild(payload.cause, 'cause') } : undefined;
  let error: Error;
  if (name === 'AggregateError') {
    error = new AggregateError(errors === undefined ? [] : (decodeChild(errors, 'errors') as unknown[]), message, options);
  } else {
    error = new (BUILT_IN_ERRORS.get(name) ?? Error)(message, options);
    if (error.name !== name) error.name = name;
  }
  if (stack === undefined) delete error.stack;
  else Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  if (props !== undefined) {
    for (const [key, json] of Object.entries(props)) setOwn(error, key, decodeChild(json, key));
  }
  return error;
}

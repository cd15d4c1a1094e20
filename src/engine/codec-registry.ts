/** How a registered class crosses the codec. */
export interface TypeCodec<T, E = unknown> {
  /** Turns an instance into a value the codec encodes in turn (so it may hold Dates, Maps, other registered classes). */
  encode(value: T): E;
  /** Rebuilds an instance from the decoded form of what `encode` returned. */
  decode(encoded: E): T;
}

// `any[]`: a class with any constructor parameters can be registered.
export type Constructor<T> = abstract new (...args: any[]) => T;

export interface RegisteredType {
  readonly name: string;
  readonly type: Constructor<object>;
  readonly codec: TypeCodec<object, unknown>;
}

/** Classes the codec handles itself; registering them would make their encoding ambiguous. */
const BUILT_IN: ReadonlySet<unknown> = new Set([
  Object, Array, Date, Map, Set, RegExp, Uint8Array, Buffer,
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError,
]);

/**
 * Classes the codec may encode, each under a stable name. Instances are matched by their exact
 * prototype: a subclass of a registered class is not covered unless it is registered too.
 */
export class TypeRegistry {
  readonly #byName = new Map<string, RegisteredType>();
  readonly #byPrototype = new Map<object, RegisteredType>();

  register<T extends object, E>(name: string, type: Constructor<T>, codec: TypeCodec<T, E>): this {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a registered type needs a non-empty name');
    if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) {
      throw new TypeError(`type '${name}' must be registered with a class`);
    }
    if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
      throw new TypeError(`type '${name}' needs a codec with encode and decode functions`);
    }
    if (BUILT_IN.has(type)) throw new TypeError(`${type.name} is encoded by the codec itself and cannot be registered`);
    const sameName = this.#byName.get(name);
    if (sameName !== undefined && sameName.type !== type) {
      throw new Error(`type name '${name}' is already registered for class ${sameName.type.name}, not ${type.name}`);
    }
    const sameType = this.#byPrototype.get(type.prototype as object);
    if (sameType !== undefined && sameType.name !== name) {
      throw new Error(`class ${type.name} is already registered as '${sameType.name}'`);
    }
    // Registering the same name and class again replaces the codec (e.g. a module evaluated twice).
    const entry: RegisteredType = { name, type, codec: codec as unknown as TypeCodec<object, unknown> };
    this.#byName.set(name, entry);
    this.#byPrototype.set(type.prototype as object, entry);
    return this;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  byName(name: string): RegisteredType | undefined {
    return this.#byName.get(name);
  }

  byPrototype(prototype: object): RegisteredType | undefined {
    return this.#byPrototype.size === 0 ? undefined : this.#byPrototype.get(prototype);
  }
}

/** The registry `encodeValue` and `decodeValue` use when none is passed; empty until someone registers. */
export const defaultRegistry = new TypeRegistry();

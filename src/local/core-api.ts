import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  LogCategory,
  LogLevel,
  ProgrammingModel,
} from './core-types';

/** A function as the app registered it through `app.http` / `app.storageQueue` / `app.timer` / ... */
export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export type SystemLogSink = (level: LogLevel, category: LogCategory, message: string) => void;

class Disposable {
  #onDispose: (() => unknown) | undefined;

  constructor(onDispose: () => unknown) {
    this.#onDispose = onDispose;
  }

  static from(...items: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }

  dispose(): unknown {
    const onDispose = this.#onDispose;
    this.#onDispose = undefined;
    return onDispose?.();
  }
}

const knownHooks: ReadonlySet<string> = new Set<HookName>([
  'appStart',
  'appTerminate',
  'preInvocation',
  'postInvocation',
  'log',
]);

/**
 * This host's implementation of the `@azure/functions-core` module: the registry the library
 * reports functions, hooks and its programming model to. One instance per loaded app.
 */
export class CoreApi {
  /** Not a Functions worker or host version: this is the project's local host. */
  readonly version = '0.0.0-local';
  readonly hostVersion = '0.0.0-local';
  readonly Disposable = Disposable;

  readonly functions = new Map<string, RegisteredFunction>();
  readonly #hooks = new Map<string, HookCallback[]>();
  #programmingModel: ProgrammingModel | undefined;
  #systemLog: SystemLogSink;

  constructor(systemLog: SystemLogSink) {
    this.#systemLog = systemLog;
    // The library calls these unbound (`coreApi.registerFunction(...)` is fine, but be safe).
    this.registerFunction = this.registerFunction.bind(this);
    this.registerHook = this.registerHook.bind(this);
    this.setProgrammingModel = this.setProgrammingModel.bind(this);
    this.getProgrammingModel = this.getProgrammingModel.bind(this);
    this.log = this.log.bind(this);
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (!metadata || typeof metadata.name !== 'string' || metadata.name === '') {
      throw new Error('registerFunction: the function metadata has no name');
    }
    if (typeof callback !== 'function') {
      throw new Error(`registerFunction: function "${metadata.name}" has no handler`);
    }
    const key = metadata.name.toLowerCase();
    if (this.functions.has(key)) {
      throw new Error(`A function named "${metadata.name}" is already registered; function names must be unique`);
    }
    this.functions.set(key, { metadata, callback });
    return new Disposable(() => this.functions.delete(key));
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!knownHooks.has(hookName)) {
      const error = new RangeError(`"${hookName}" is not a valid hook name; expected one of ${[...knownHooks].join(', ')}`);
      // The library turns this flag into its own "requires a newer host" message.
      Object.assign(error, { isAzureFunctionsSystemError: true });
      throw error;
    }
    const callbacks = this.#hooks.get(hookName) ?? [];
    callbacks.push(callback);
    this.#hooks.set(hookName, callbacks);
    return new Disposable(() => {
      const index = callbacks.indexOf(callback);
      if (index >= 0) callbacks.splice(index, 1);
    });
  }

  hooks(hookName: HookName): readonly HookCallback[] {
    return [...(this.#hooks.get(hookName) ?? [])];
  }

  setProgrammingModel(programmingModel: ProgrammingModel): void {
    this.#programmingModel = programmingModel;
  }

  getProgrammingModel(): ProgrammingModel {
    if (!this.#programmingModel) {
      throw new Error('No programming model was set: the app never called the @azure/functions library');
    }
    return this.#programmingModel;
  }

  hasProgrammingModel(): boolean {
    return this.#programmingModel !== undefined;
  }

  log(level: LogLevel, category: LogCategory, message: string): void {
    this.#systemLog(level, category, message);
  }
}

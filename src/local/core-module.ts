import Module from 'node:module';
import path from 'node:path';
import type { CoreApi } from './core-api';

/**
 * Makes `require('@azure/functions-core')` return this host's {@link CoreApi}, as the Functions
 * Node worker does with its built-in module, and loads the app's entry files with it.
 */

const coreModuleName = '@azure/functions-core';
/** Not a path, so it can never collide with a real module in the require cache. */
const coreCacheKey = '\0local-functions-host:@azure/functions-core';

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
interface ModuleInternals {
  _resolveFilename: ResolveFilename;
  _cache: Record<string, NodeJS.Module | undefined>;
}

const moduleInternals = Module as unknown as ModuleInternals;
let originalResolveFilename: ResolveFilename | undefined;
let activeLoads = 0;

function installResolver(): void {
  if (originalResolveFilename) return;
  const original = moduleInternals._resolveFilename;
  originalResolveFilename = original;
  moduleInternals._resolveFilename = function resolveWithCore(request, parent, isMain, options) {
    if (request === coreModuleName) return coreCacheKey;
    return original.call(this, request, parent, isMain, options);
  };
}

function uninstallResolver(): void {
  if (!originalResolveFilename) return;
  moduleInternals._resolveFilename = originalResolveFilename;
  originalResolveFilename = undefined;
  delete moduleInternals._cache[coreCacheKey];
}

function setCoreModule(core: CoreApi): void {
  const entry = new Module(coreCacheKey);
  entry.filename = coreCacheKey;
  entry.exports = core;
  entry.loaded = true;
  moduleInternals._cache[coreCacheKey] = entry;
}

/**
 * Forgets the app's own modules and the `@azure/functions` library, so that loading the app again
 * (a second host in the same process, or after a test imported the library in its test mode)
 * gives a fresh library bound to the new core module.
 */
function forgetAppModules(appDir: string, keepDirs: readonly string[]): void {
  const appRoot = path.resolve(appDir) + path.sep;
  const libraryDir = resolveLibraryDir(appDir);
  for (const key of Object.keys(moduleInternals._cache)) {
    const inApp = key.startsWith(appRoot) && !key.includes(`${path.sep}node_modules${path.sep}`);
    const inLibrary = libraryDir !== undefined && key.startsWith(libraryDir);
    const kept = keepDirs.some((dir) => key.startsWith(dir));
    if ((inApp || inLibrary) && !kept) delete moduleInternals._cache[key];
  }
}

function resolveLibraryDir(appDir: string): string | undefined {
  try {
    const appRequire = Module.createRequire(path.join(path.resolve(appDir), 'package.json'));
    const entry = appRequire.resolve('@azure/functions');
    const marker = `${path.sep}@azure${path.sep}functions${path.sep}`;
    const at = entry.lastIndexOf(marker);
    return at >= 0 ? entry.slice(0, at + marker.length) : path.dirname(entry) + path.sep;
  } catch {
    return undefined;
  }
}

export class AppLoadError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

/**
 * Loads each entry file of the app with `core` as `@azure/functions-core`. Registrations happen
 * while the files load, so this is synchronous from start to end. Returns a release function
 * to call when the host stops.
 */
export function loadAppWithCore(
  core: CoreApi,
  appDir: string,
  entryFiles: readonly string[],
  keepDirs: readonly string[],
): () => void {
  installResolver();
  activeLoads += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    activeLoads -= 1;
    if (activeLoads === 0) uninstallResolver();
  };
  try {
    forgetAppModules(appDir, keepDirs);
    setCoreModule(core);
    for (const file of entryFiles) {
      try {
        Module.createRequire(file)(file);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new AppLoadError(`Failed to load ${path.relative(appDir, file) || file}: ${reason}`, file, {
          cause: error,
        });
      }
    }
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

import fs from 'node:fs';
import path from 'node:path';

export interface LocalSettings {
  /** `Values` of local.settings.json; empty when the file is missing. */
  values: Record<string, string>;
  /** `Host.LocalHttpPort`, when set. */
  localHttpPort: number | undefined;
  found: boolean;
}

export function readLocalSettings(appDir: string): LocalSettings {
  const file = path.join(appDir, 'local.settings.json');
  if (!fs.existsSync(file)) return { values: {}, localHttpPort: undefined, found: false };
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`local.settings.json is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('local.settings.json must be a JSON object');
  }
  const settings = json as { IsEncrypted?: unknown; Values?: unknown; Host?: unknown };
  if (settings.IsEncrypted === true) {
    throw new Error('local.settings.json is encrypted ("IsEncrypted": true); the local host reads plain settings only');
  }
  const values: Record<string, string> = {};
  if (settings.Values !== undefined) {
    if (typeof settings.Values !== 'object' || settings.Values === null || Array.isArray(settings.Values)) {
      throw new Error('local.settings.json "Values" must be an object of setting names to strings');
    }
    for (const [name, value] of Object.entries(settings.Values)) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'object') throw new Error(`local.settings.json Values.${name} must be a string`);
      values[name] = String(value);
    }
  }
  let localHttpPort: number | undefined;
  const host = settings.Host as { LocalHttpPort?: unknown } | undefined;
  if (host && host.LocalHttpPort !== undefined) {
    const port = Number(host.LocalHttpPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`local.settings.json Host.LocalHttpPort must be a port number, got ${JSON.stringify(host.LocalHttpPort)}`);
    }
    localHttpPort = port;
  }
  return { values, localHttpPort, found: true };
}

/**
 * Puts settings into `process.env`, where the app reads them, and returns a function that puts
 * back what was there before. `fileValues` never override a variable already set; `overrides`
 * always do.
 */
export function applySettings(
  fileValues: Record<string, string>,
  overrides: Record<string, string | undefined>,
): () => void {
  const previous = new Map<string, string | undefined>();
  const set = (name: string, value: string | undefined): void => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const [name, value] of Object.entries(fileValues)) {
    if (process.env[name] === undefined) set(name, value);
  }
  for (const [name, value] of Object.entries(overrides)) set(name, value);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Resolves `%NAME%` app-setting references in a binding value, as the host does. */
export function resolveSettingReferences(value: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new Error(`${what} refers to app setting %${name}%, which is not set (add it to local.settings.json or the environment)`);
    }
    return resolved;
  });
}

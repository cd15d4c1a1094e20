import { readLocalSettings } from './app-settings';

/**
 * What `npm start` runs with when local.settings.json does not set it (the same values as
 * local.settings.sample.json): Azurite for storage, checkpoints in files under .data/.
 */
export const embeddedDefaults: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: 'node',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  CHECKPOINT_STORE: 'file',
  CHECKPOINT_DIR: '.data/checkpoints',
  STEP_QUEUE: 'workflow-steps',
};

export interface LaunchSettings {
  /** Defaults to add to the environment: only names neither the environment nor the file set. */
  defaults: Record<string, string>;
  /** The settings as the host will see them. */
  effective: Record<string, string | undefined>;
  localSettingsFound: boolean;
}

export function resolveLaunchSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): LaunchSettings {
  const file = readLocalSettings(appDir);
  const defaults: Record<string, string> = {};
  for (const [name, value] of Object.entries(embeddedDefaults)) {
    if (env[name] === undefined && file.values[name] === undefined) defaults[name] = value;
  }
  const effective: Record<string, string | undefined> = { ...file.values, ...env, ...defaults };
  return { defaults, effective, localSettingsFound: file.found };
}

/** True when the storage setting points at the emulator on its standard local ports. */
export function usesLocalEmulator(connectionString: string | undefined): boolean {
  if (!connectionString) return false;
  if (/^\s*UseDevelopmentStorage=true/i.test(connectionString)) return true;
  const endpoint = /QueueEndpoint=([^;]+)/i.exec(connectionString)?.[1];
  if (!endpoint) return false;
  try {
    const url = new URL(endpoint);
    return ['127.0.0.1', 'localhost'].includes(url.hostname) && url.port === String(emulatorPorts.queue);
  } catch {
    return false;
  }
}

export const emulatorPorts = { blob: 10000, queue: 10001, table: 10002 } as const;

/** Types of scripts/write-local-settings.js (plain JavaScript so azd can run it before a build). */

export interface LocalSettings {
  IsEncrypted: false;
  Values: Record<string, string>;
}

export interface WriteResult {
  written: boolean;
  path: string;
  settings: LocalSettings;
}

export type EnvValues = Readonly<Record<string, string | undefined>>;

export declare const FILE_NAME: 'local.settings.json';

export declare const REQUIRED_ENV: readonly string[];

export declare function localSettingsFromEnv(env: EnvValues): LocalSettings;

export declare function writeLocalSettings(dir: string, env: EnvValues): WriteResult;

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COSMOS_CONTAINER, DEFAULT_COSMOS_DATABASE } from '../../src/checkpoints/cosmos-layout';
import { DEFAULT_STEP_QUEUE } from '../../src/runtime/queue-names';
import { FILE_NAME, REQUIRED_ENV, localSettingsFromEnv, writeLocalSettings } from '../../scripts/write-local-settings.js';

/** What azd hands the hook after `azd provision` (outputs of infra/main.bicep, and azd's own values). */
const AZD_ENV = {
  AZURE_ENV_NAME: 'dev',
  AZURE_LOCATION: 'swedencentral',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  STORAGE_ACCOUNT_NAME: 'stabc123',
  STORAGE_BLOB_ENDPOINT: 'https://stabc123.blob.core.windows.net/',
  STORAGE_QUEUE_ENDPOINT: 'https://stabc123.queue.core.windows.net/',
  STORAGE_TABLE_ENDPOINT: 'https://stabc123.table.core.windows.net/',
  COSMOS_ENDPOINT: 'https://cosmos-abc123.documents.azure.com:443/',
  COSMOS_DATABASE: DEFAULT_COSMOS_DATABASE,
  COSMOS_CONTAINER: DEFAULT_COSMOS_CONTAINER,
  STEP_QUEUE: DEFAULT_STEP_QUEUE,
  CHECKPOINT_TTL_SECONDS: '2592000',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/',
};

describe('localSettingsFromEnv', () => {
  it('points local runs at the deployed accounts with the developer identity, no keys', () => {
    expect(localSettingsFromEnv(AZD_ENV)).toEqual({
      IsEncrypted: false,
      Values: {
        FUNCTIONS_WORKER_RUNTIME: 'node',
        AzureWebJobsStorage__accountName: 'stabc123',
        AzureWebJobsStorage__blobServiceUri: 'https://stabc123.blob.core.windows.net/',
        AzureWebJobsStorage__queueServiceUri: 'https://stabc123.queue.core.windows.net/',
        CHECKPOINT_STORE: 'cosmos',
        COSMOS_ENDPOINT: 'https://cosmos-abc123.documents.azure.com:443/',
        COSMOS_DATABASE: 'supersteps',
        COSMOS_CONTAINER: 'checkpoints',
        COSMOS_CREATE_IF_MISSING: 'false',
        STEP_QUEUE: 'workflow-steps',
        CHECKPOINT_TTL_SECONDS: '2592000',
      },
    });
  });

  it("leaves out the app's managed identity, which does not exist on a developer machine", () => {
    const values = localSettingsFromEnv(AZD_ENV).Values;
    expect(values).not.toHaveProperty('AZURE_CLIENT_ID');
    expect(values).not.toHaveProperty('AzureWebJobsStorage__credential');
    expect(values).not.toHaveProperty('AzureWebJobsStorage__clientId');
    expect(values).not.toHaveProperty('AzureWebJobsStorage');
    expect(JSON.stringify(values)).not.toMatch(/AccountKey|InstrumentationKey|SharedAccessSignature/);
  });

  it('keeps checkpoints when no TTL is set, and trims what azd wrote', () => {
    const { CHECKPOINT_TTL_SECONDS: _unused, ...withoutTtl } = AZD_ENV;
    const values = localSettingsFromEnv({ ...withoutTtl, COSMOS_DATABASE: ` ${DEFAULT_COSMOS_DATABASE}\n` }).Values;
    expect(values.CHECKPOINT_TTL_SECONDS).toBe('0');
    expect(values.COSMOS_DATABASE).toBe(DEFAULT_COSMOS_DATABASE);
  });

  it('names every missing value', () => {
    expect(() => localSettingsFromEnv({})).toThrow(new RegExp(REQUIRED_ENV.join(', ')));
    expect(() => localSettingsFromEnv({ ...AZD_ENV, COSMOS_ENDPOINT: '  ' })).toThrow(
      /lacks COSMOS_ENDPOINT\. Run `azd provision` first/,
    );
  });

  it('refuses endpoints that are not https URLs and TTLs that are not whole seconds', () => {
    expect(() => localSettingsFromEnv({ ...AZD_ENV, COSMOS_ENDPOINT: 'cosmos-abc123' })).toThrow(
      /COSMOS_ENDPOINT="cosmos-abc123" must be https:\/\/ URLs/,
    );
    expect(() => localSettingsFromEnv({ ...AZD_ENV, STORAGE_QUEUE_ENDPOINT: 'http://stabc123.queue.core.windows.net/' })).toThrow(
      /STORAGE_QUEUE_ENDPOINT/,
    );
    expect(() => localSettingsFromEnv({ ...AZD_ENV, CHECKPOINT_TTL_SECONDS: '-5' })).toThrow(
      /CHECKPOINT_TTL_SECONDS="-5" must be a whole number of seconds/,
    );
  });
});

describe('writeLocalSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'supersteps-settings-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes local.settings.json when there is none', () => {
    const result = writeLocalSettings(dir, AZD_ENV);
    expect(result).toMatchObject({ written: true, path: path.join(dir, FILE_NAME) });
    expect(JSON.parse(readFileSync(path.join(dir, FILE_NAME), 'utf8'))).toEqual(localSettingsFromEnv(AZD_ENV));
  });

  it('never overwrites an existing file', () => {
    const mine = '{ "IsEncrypted": false, "Values": { "CHECKPOINT_STORE": "file" } }\n';
    writeFileSync(path.join(dir, FILE_NAME), mine);
    const result = writeLocalSettings(dir, AZD_ENV);
    expect(result.written).toBe(false);
    expect(result.settings).toEqual(localSettingsFromEnv(AZD_ENV));
    expect(readFileSync(path.join(dir, FILE_NAME), 'utf8')).toBe(mine);
  });

  it('writes nothing when the environment is incomplete', () => {
    expect(() => writeLocalSettings(dir, { STORAGE_ACCOUNT_NAME: 'stabc123' })).toThrow(/lacks/);
    expect(() => readFileSync(path.join(dir, FILE_NAME))).toThrow(/ENOENT/);
  });
});

describe('the postprovision hook, run as azd runs it', () => {
  let project: string;
  beforeEach(() => {
    // A copy of the script in a throwaway project folder, so the hook writes there, not here.
    project = mkdtempSync(path.join(tmpdir(), 'supersteps-hook-'));
    mkdirSync(path.join(project, 'scripts'));
    copyFileSync(path.join(__dirname, '..', '..', 'scripts', 'write-local-settings.js'), path.join(project, 'scripts', 'write-local-settings.js'));
  });
  afterEach(() => {
    rmSync(project, { recursive: true, force: true });
  });

  const runHook = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['scripts/write-local-settings.js'], {
      cwd: project,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
    });

  it('writes the file once, then says it left the existing one alone', () => {
    const first = runHook(AZD_ENV);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('Wrote local.settings.json');
    const written = readFileSync(path.join(project, FILE_NAME), 'utf8');
    expect(JSON.parse(written)).toEqual(localSettingsFromEnv(AZD_ENV));

    const second = runHook({ ...AZD_ENV, COSMOS_DATABASE: 'other' });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('local.settings.json already exists; left it alone');
    expect(second.stdout).toContain('"COSMOS_DATABASE": "other"');
    expect(readFileSync(path.join(project, FILE_NAME), 'utf8')).toBe(written);
  });

  it('fails with the missing names when provisioning did not produce them', () => {
    const result = runHook({ AZURE_ENV_NAME: 'dev' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the azd environment lacks STORAGE_ACCOUNT_NAME');
  });
});

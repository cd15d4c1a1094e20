import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandGlob, findEntryFiles } from '../../src/local/app-files';
import { applySettings, readLocalSettings, resolveSettingReferences } from '../../src/local/app-settings';
import { parseHostConfig } from '../../src/local/host-config';
import { decodeMessageText, encodeMessageText } from '../../src/local/queue/message-encoding';
import { resolveLaunchSettings, usesLocalEmulator } from '../../src/local/launch-settings';
import { parseTimeSpan } from '../../src/local/timespan';
import { tempDir } from './helpers';

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
}

describe('host.json', () => {
  it('reads the route prefix, queue settings and function timeout', () => {
    const config = parseHostConfig({
      functionTimeout: '00:10:00',
      extensions: {
        http: { routePrefix: '/v1/' },
        queues: { maxPollingInterval: '00:00:02', visibilityTimeout: '00:00:30', batchSize: 8, maxDequeueCount: 4, messageEncoding: 'none' },
      },
    });
    expect(config).toEqual({
      routePrefix: 'v1',
      functionTimeoutMs: 600_000,
      queues: { maxPollingIntervalMs: 2000, visibilityTimeoutMs: 30_000, batchSize: 8, newBatchThreshold: 4, maxDequeueCount: 4, messageEncoding: 'none' },
    });
  });

  it('defaults like the Functions host and accepts an empty prefix and no timeout', () => {
    const config = parseHostConfig({ version: '2.0', functionTimeout: '-1', extensions: { http: { routePrefix: '' } } });
    expect(config.routePrefix).toBe('');
    expect(config.functionTimeoutMs).toBeUndefined();
    expect(config.queues).toEqual({
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
  });

  it('names the wrong field', () => {
    expect(() => parseHostConfig({ extensions: { queues: { batchSize: 64 } } })).toThrow(/extensions.queues.batchSize must be an integer from 1 to 32/);
    expect(() => parseHostConfig({ extensions: { queues: { messageEncoding: 'utf8' } } })).toThrow(/messageEncoding must be "base64" or "none"/);
    expect(() => parseHostConfig({ extensions: { queues: { maxPollingInterval: '2 seconds' } } })).toThrow(/maxPollingInterval must be a duration/);
    expect(() => parseHostConfig({ functionTimeout: 5 })).toThrow(/functionTimeout must be a duration string/);
  });

  it('parses TimeSpans with days and fractions', () => {
    expect(parseTimeSpan('1.02:03:04.5', 'x')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
    expect(parseTimeSpan('00:01', 'x')).toBe(60_000);
    expect(() => parseTimeSpan('00:60:00', 'x')).toThrow(/out of range/);
  });
});

describe('entry files', () => {
  it('expands *, ? and ** in package.json main, sorted, files only', () => {
    const root = tempDir('local-host-glob-');
    writeFiles(root, {
      'package.json': JSON.stringify({ main: 'dist/src/functions/*.js' }),
      'dist/src/functions/b.js': '',
      'dist/src/functions/a.js': '',
      'dist/src/functions/a.js.map': '',
      'dist/src/functions/nested/c.js': '',
      'dist/src/other/d.js': '',
    });
    expect(findEntryFiles(root).map((file) => path.relative(root, file))).toEqual([
      path.join('dist/src/functions/a.js'),
      path.join('dist/src/functions/b.js'),
    ]);
    expect(expandGlob(root, 'dist/**/?.js').map((file) => path.relative(root, file))).toEqual(
      ['dist/src/functions/a.js', 'dist/src/functions/b.js', 'dist/src/functions/nested/c.js', 'dist/src/other/d.js'].map((file) => path.join(file)),
    );
  });

  it('says what is wrong when main is missing or matches nothing', () => {
    const root = tempDir('local-host-glob-');
    writeFiles(root, { 'package.json': JSON.stringify({ name: 'x' }) });
    expect(() => findEntryFiles(root)).toThrow(/has no "main" field/);
    writeFiles(root, { 'package.json': JSON.stringify({ main: 'dist/*.js' }) });
    expect(() => findEntryFiles(root)).toThrow(/matches no file \(did you run the build\?\)/);
  });
});

describe('settings', () => {
  const touched = ['LOCAL_HOST_TEST_A', 'LOCAL_HOST_TEST_B', 'LOCAL_HOST_TEST_C'];
  afterEach(() => touched.forEach((name) => delete process.env[name]));

  it('applies local.settings.json values without overriding the environment, and restores on release', () => {
    process.env.LOCAL_HOST_TEST_A = 'from env';
    const restore = applySettings({ LOCAL_HOST_TEST_A: 'from file', LOCAL_HOST_TEST_B: 'from file' }, { LOCAL_HOST_TEST_C: 'override' });
    expect([process.env.LOCAL_HOST_TEST_A, process.env.LOCAL_HOST_TEST_B, process.env.LOCAL_HOST_TEST_C]).toEqual(['from env', 'from file', 'override']);
    restore();
    expect([process.env.LOCAL_HOST_TEST_A, process.env.LOCAL_HOST_TEST_B, process.env.LOCAL_HOST_TEST_C]).toEqual(['from env', undefined, undefined]);
  });

  it('resolves %SETTING% references and names a missing setting', () => {
    expect(resolveSettingReferences('%Q%-x', 'queueName', { Q: 'steps' })).toBe('steps-x');
    expect(() => resolveSettingReferences('%MISSING%', "Function 'f' queueName", {})).toThrow(
      "Function 'f' queueName refers to app setting %MISSING%, which is not set",
    );
  });

  it('reads Values and Host.LocalHttpPort, and refuses encrypted files', () => {
    const root = tempDir('local-host-settings-');
    writeFiles(root, { 'local.settings.json': JSON.stringify({ IsEncrypted: false, Values: { A: 'x', N: 3 }, Host: { LocalHttpPort: 7072 } }) });
    expect(readLocalSettings(root)).toEqual({ values: { A: 'x', N: '3' }, localHttpPort: 7072, found: true });
    writeFiles(root, { 'local.settings.json': JSON.stringify({ IsEncrypted: true, Values: {} }) });
    expect(() => readLocalSettings(root)).toThrow(/encrypted/);
  });

  it('fills in npm start defaults only where neither the environment nor the file sets them', () => {
    const root = tempDir('local-host-launch-');
    writeFiles(root, { 'local.settings.json': JSON.stringify({ Values: { CHECKPOINT_STORE: 'memory' } }) });
    const launch = resolveLaunchSettings(root, { STEP_QUEUE: 'mine' });
    expect(launch.defaults).toEqual({
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      CHECKPOINT_DIR: '.data/checkpoints',
    });
    expect(launch.effective.CHECKPOINT_STORE).toBe('memory');
    expect(launch.effective.STEP_QUEUE).toBe('mine');
    expect(usesLocalEmulator('UseDevelopmentStorage=true')).toBe(true);
    expect(usesLocalEmulator('DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:10001/a;')).toBe(true);
    expect(usesLocalEmulator('DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5;EndpointSuffix=core.windows.net')).toBe(false);
  });
});

describe('queue message encoding', () => {
  it('round-trips base64 and passes text through with none', () => {
    expect(decodeMessageText(encodeMessageText('{"runId":"ü"}', 'base64'), 'base64')).toBe('{"runId":"ü"}');
    expect(encodeMessageText('plain', 'none')).toBe('plain');
    expect(decodeMessageText('plain', 'none')).toBe('plain');
  });

  it('refuses text that is not base64 instead of decoding it leniently', () => {
    expect(() => decodeMessageText('{"runId":"r"}', 'base64')).toThrow(/not valid base64/);
    expect(() => decodeMessageText('abc', 'base64')).toThrow(/not valid base64/);
  });
});

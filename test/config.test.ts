import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/checkpoints/file-store';
import { MemoryCheckpointStore } from '../src/checkpoints/memory-store';
import { ConfigError, createStore, readSettings } from '../src/config';

describe('settings', () => {
  it('uses the embedded defaults: the file store, the workflow-steps queue, base64 messages', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({
      store: 'file',
      checkpointDir: path.resolve('.data/checkpoints'),
      stepQueue: 'workflow-steps',
      messageEncoding: 'base64',
      maxDequeueCount: 5,
      stalledRunSeconds: 300,
      followUpGraceSeconds: 30,
    });
    expect(createStore(settings, {})).toBeInstanceOf(FileCheckpointStore);
    expect(createStore(readSettings({ CHECKPOINT_STORE: 'memory' }), {})).toBeInstanceOf(MemoryCheckpointStore);
  });

  it('chooses Cosmos DB when an endpoint or a connection string is set, unless told otherwise', () => {
    expect(readSettings({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' }).store).toBe('cosmos');
    expect(readSettings({ COSMOS_CONNECTION_STRING: 'AccountEndpoint=https://a/;AccountKey=a2V5;' }).store).toBe('cosmos');
    expect(readSettings({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/', CHECKPOINT_STORE: 'file' }).store).toBe('file');
    expect(readSettings({ COSMOS_ENDPOINT: '  ' }).store).toBe('file');
  });

  it.each([
    [{ CHECKPOINT_STORE: 'redis' }, /CHECKPOINT_STORE must be cosmos, file or memory/],
    [{ STEP_QUEUE: 'Bad_Queue' }, /STEP_QUEUE 'Bad_Queue' is not a valid queue name/],
    [{ STEP_QUEUE: 'a--b' }, /STEP_QUEUE/],
    [{ QUEUE_MESSAGE_ENCODING: 'utf8' }, /QUEUE_MESSAGE_ENCODING must be base64 or none/],
    [{ MAX_DEQUEUE_COUNT: '0' }, /MAX_DEQUEUE_COUNT must be a whole number from 1 to 100/],
    [{ STALLED_RUN_SECONDS: 'soon' }, /STALLED_RUN_SECONDS must be a whole number/],
    [{ APPROVAL_TIMEOUT_SECONDS: '1.5' }, /APPROVAL_TIMEOUT_SECONDS must be a whole number/],
  ])('refuses %j with an error that names the setting', (env, message) => {
    expect(() => readSettings(env)).toThrow(ConfigError);
    expect(() => readSettings(env)).toThrow(message);
  });
});

import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../src/local/local-host';
import { startAzurite, type TestAzurite } from '../support/azurite';
import { capturingLogger, eventually, fixtureAppDir, readRecords, tempDir } from './helpers';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

interface Received {
  message: unknown;
  triggerMetadata: Record<string, unknown>;
}

describe('local host: storage queue triggers against Azurite', () => {
  let azurite: TestAzurite;
  let host: LocalHost;
  let queues: QueueServiceClient;
  let outDir: string;
  const logger = capturingLogger();

  beforeAll(async () => {
    azurite = await startAzurite();
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    outDir = tempDir('local-host-queue-');
    host = await startLocalHost({
      appDir: fixtureAppDir,
      port: 0,
      logger,
      // Short leases make the renewal below observable; the Functions host uses 10 minutes.
      queueLeaseSeconds: 3,
      env: { FIXTURE_OUT_DIR: outDir, RECORD_QUEUE: 'records', AzureWebJobsStorage: azurite.connectionString },
    });
  });

  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  it('creates the trigger queues and hands a base64 JSON message to the handler as an object, with trigger metadata', async () => {
    const records = queues.getQueueClient('records');
    await eventually(async () => ((await records.exists()) ? true : undefined), 'the records queue');
    const sent = await records.sendMessage(base64(JSON.stringify({ runId: 'r-1', step: 3 })));

    const received = await eventually(
      () => readRecords<Received>(outDir, 'received').find((record) => record.triggerMetadata.id === sent.messageId),
      'the message to be handled',
    );
    expect(received.message).toEqual({ runId: 'r-1', step: 3 });
    expect(received.triggerMetadata).toMatchObject({
      dequeueCount: 1,
      queueTrigger: { runId: 'r-1', step: 3 },
      popReceipt: expect.any(String),
      insertionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expirationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      nextVisibleTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // A handled message is deleted.
    await eventually(async () => ((await records.peekMessages()).peekedMessageItems.length === 0 ? true : undefined), 'the message to be deleted');
  });

  it('hands non-JSON text to the handler as a string', async () => {
    const sent = await queues.getQueueClient('records').sendMessage(base64('plain words'));
    const received = await eventually(
      () => readRecords<Received>(outDir, 'received').find((record) => record.triggerMetadata.id === sent.messageId),
      'the text message',
    );
    expect(received.message).toBe('plain words');
  });

  it('sends a queue output binding, base64-encoded, after a successful invocation', async () => {
    const relayIn = queues.getQueueClient('relay-in');
    await eventually(async () => ((await relayIn.exists()) ? true : undefined), 'the relay-in queue');
    await relayIn.sendMessage(base64(JSON.stringify({ hop: 1 })));
    const relayed = await eventually(
      () =>
        readRecords<Received>(outDir, 'received').find(
          (record) => (record.message as { relayedFrom?: string })?.relayedFrom === 'relay-in',
        ),
      'the relayed message',
    );
    expect(relayed.message).toEqual({ relayedFrom: 'relay-in', original: { hop: 1 } });
  });

  it('retries a failing message with a rising dequeueCount, then moves it to the poison queue', async () => {
    const failing = queues.getQueueClient('always-fails');
    await eventually(async () => ((await failing.exists()) ? true : undefined), 'the always-fails queue');
    const sent = await failing.sendMessage(base64(JSON.stringify({ doomed: true })));

    const poisoned = await eventually(() => readRecords<Received & { dequeueCount: number }>(outDir, 'poison')[0], 'the poison message', 45_000);
    expect(poisoned.message).toEqual({ doomed: true });
    expect(poisoned.dequeueCount).toBe(1);

    const attempts = readRecords<{ id: string; dequeueCount: number }>(outDir, 'failures').filter((failure) => failure.id === sent.messageId);
    expect(attempts.map((attempt) => attempt.dequeueCount)).toEqual([1, 2, 3]);
    expect((await failing.peekMessages()).peekedMessageItems).toEqual([]);
    expect(logger.lines.some((line) => line.includes("Moving message") && line.includes("'always-fails-poison'"))).toBe(true);
  });

  it('treats a message that is not valid base64 as a failure, so it ends in the poison queue', async () => {
    await queues.getQueueClient('records').sendMessage('not base64 at all!');
    const poison = queues.getQueueClient('records-poison');
    const moved = await eventually(
      async () => ((await poison.exists()) ? (await poison.peekMessages()).peekedMessageItems[0] : undefined),
      'the undecodable message in records-poison',
      45_000,
    );
    expect(moved.messageText).toBe('not base64 at all!');
    expect(logger.lines.some((line) => line.includes('is not valid base64'))).toBe(true);
  });

  it('runs a queue function on POST /admin/functions/{name} with the input as the message', async () => {
    const response = await fetch(`${host.url}/admin/functions/recordMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: '{"fromAdmin":true}' }),
    });
    expect(response.status).toBe(202);
    await eventually(
      () => readRecords<Received>(outDir, 'received').find((record) => (record.message as { fromAdmin?: boolean })?.fromAdmin === true),
      'the admin-invoked message',
    );
  });

  it('keeps renewing the lease of a message whose invocation outlasts it, so it is delivered once', async () => {
    const slow = queues.getQueueClient('slow');
    await eventually(async () => ((await slow.exists()) ? true : undefined), 'the slow queue');
    await slow.sendMessage(base64(JSON.stringify({ sleepMs: 7000 })));
    await eventually(() => readRecords(outDir, 'slow').find((record) => record.phase === 'end'), 'the slow invocation to end', 45_000);
    await eventually(async () => ((await slow.peekMessages()).peekedMessageItems.length === 0 ? true : undefined), 'the slow message to be deleted');
    expect(readRecords(outDir, 'slow')).toEqual([{ phase: 'start', dequeueCount: 1 }, { phase: 'end' }]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalHost } from '../../src/local/local-host';
import { startAzurite, type TestAzurite } from '../support/azurite';
import { capturingLogger, eventually, fixtureAppDir, readRecords, tempDir } from './helpers';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Handles that keep a process alive, by type, leaving out what the test runner itself holds. */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (type === 'PipeWrap') continue;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

describe('local host: lifecycle', () => {
  const started: TestAzurite[] = [];

  afterAll(async () => {
    await Promise.all(started.map((azurite) => azurite.stop()));
  });

  it('stop() leaves no server, socket or timer behind, runs appTerminate and restores the environment', async () => {
    const azurite = await startAzurite();
    const before = liveHandles();
    const outDir = tempDir('local-host-life-');
    const host = await startLocalHost({
      appDir: fixtureAppDir,
      port: 0,
      logger: capturingLogger(),
      env: { FIXTURE_OUT_DIR: outDir, RECORD_QUEUE: 'records', AzureWebJobsStorage: azurite.connectionString },
    });
    expect(process.env.RECORD_QUEUE).toBe('records');
    expect((await fetch(`${host.apiUrl}/hello`)).status).toBe(200);
    await eventually(() => readRecords(outDir, 'timer')[0], 'the startup timer run');

    await host.stop();
    await azurite.stop();

    expect(readRecords(outDir, 'hooks')).toContainEqual({ hook: 'appTerminate', startedBy: 'appStart' });
    expect(process.env.RECORD_QUEUE).toBeUndefined();
    expect(process.env.FIXTURE_OUT_DIR).toBeUndefined();
    await expect(fetch(`${host.apiUrl}/hello`)).rejects.toThrow();
    // Closed sockets are released on the next turns of the event loop.
    await eventually(() => {
      const after = liveHandles();
      return Object.entries(after).every(([type, count]) => count <= (before[type] ?? 0)) ? after : undefined;
    }, `no new handles (before: ${JSON.stringify(before)}, now: ${JSON.stringify(liveHandles())})`, 5000);
  });

  it('keeps consuming a queue across an Azurite restart on the same port', async () => {
    const dataDir = tempDir('local-host-azurite-');
    const first = await startAzurite({ location: dataDir });
    const logger = capturingLogger();
    const outDir = tempDir('local-host-restart-');
    const host = await startLocalHost({
      appDir: fixtureAppDir,
      port: 0,
      logger,
      env: { FIXTURE_OUT_DIR: outDir, RECORD_QUEUE: 'records', AzureWebJobsStorage: first.connectionString },
    });
    try {
      const records = QueueServiceClient.fromConnectionString(first.connectionString).getQueueClient('records');
      await eventually(async () => ((await records.exists()) ? true : undefined), 'the records queue');
      await records.sendMessage(base64(JSON.stringify({ before: 'restart' })));
      await eventually(() => readRecords(outDir, 'received').find((record) => (record.message as any)?.before), 'the first message');

      await first.stop();
      await eventually(() => (logger.lines.some((line) => line.includes("Queue 'records' is unreachable")) ? true : undefined), 'the unreachable warning');

      const second = await startAzurite({ queuePort: first.queuePort, location: dataDir });
      started.push(second);
      await records.sendMessage(base64(JSON.stringify({ after: 'restart' })));
      await eventually(() => readRecords(outDir, 'received').find((record) => (record.message as any)?.after), 'the message after the restart', 45_000);
      expect(logger.lines.some((line) => line.includes("Queue 'records' is reachable again"))).toBe(true);
      expect(logger.lines.filter((line) => line.includes("Queue 'records' is unreachable"))).toHaveLength(1);
    } finally {
      await host.stop();
      fs.rmSync(path.join(dataDir), { recursive: true, force: true });
    }
  });

  it('recreates a queue that disappears while the host runs (an in-memory Azurite restarted)', async () => {
    const first = await startAzurite();
    const outDir = tempDir('local-host-recreate-');
    const host = await startLocalHost({
      appDir: fixtureAppDir,
      port: 0,
      logger: capturingLogger(),
      env: { FIXTURE_OUT_DIR: outDir, RECORD_QUEUE: 'records', AzureWebJobsStorage: first.connectionString },
    });
    try {
      const service = QueueServiceClient.fromConnectionString(first.connectionString);
      await eventually(async () => ((await service.getQueueClient('records').exists()) ? true : undefined), 'the records queue');
      await first.stop();
      const second = await startAzurite({ queuePort: first.queuePort });
      started.push(second);
      // The new Azurite starts empty: the listener must create its queue again.
      await eventually(async () => ((await service.getQueueClient('records').exists()) ? true : undefined), 'the queue to be recreated', 45_000);
      await service.getQueueClient('records').sendMessage(base64('"again"'));
      await eventually(() => readRecords(outDir, 'received').find((record) => record.message === 'again'), 'the message', 45_000);
    } finally {
      await host.stop();
    }
  });
});

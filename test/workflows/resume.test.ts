import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../../src/checkpoints/file-store';
import { InMemoryStepQueue } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';
import { TestClock } from '../support/clock';
import type { TestRuntime } from '../support/runtime';
import { createTestRuntime, drain, latestOf, makeTempDir, outputOf } from '../support/runtime';

/**
 * Two "processes": each has its own file store instance and runtime over the same folder, as two
 * app instances share one Cosmos container. The step queue stands for the shared Storage queue.
 */
describe('a run started by one instance is finished by another', () => {
  let directory: string;
  let cleanup: () => Promise<void>;
  let clock: TestClock;
  let queue: InMemoryStepQueue;
  const instance = (): TestRuntime =>
    createTestRuntime({ store: new FileCheckpointStore({ directory }), workflows: shippedWorkflows(), clock, queue });

  beforeEach(async () => {
    ({ directory, cleanup } = await makeTempDir('resume-test'));
    clock = new TestClock();
    queue = new InMemoryStepQueue(clock.now);
  });
  afterEach(() => cleanup());

  it('factor-pairs 10^12: A runs some supersteps, B continues from the same folder to the end', async () => {
    const a = instance();
    await a.runtime.start({ workflow: 'factor-pairs', input: 10 ** 12, runId: 'shared-trillion' });
    await drain(a, { maxMessages: 4 });
    const midway = await latestOf(a.store, 'shared-trillion');
    expect(midway).toMatchObject({ step: 4, status: 'Running' });

    const b = instance();
    await drain(b);
    const last = await latestOf(b.store, 'shared-trillion');
    expect(last.status).toBe('Completed');
    expect((outputOf(last) as unknown[]).length).toBe(85);
    expect(await b.store.listIds('shared-trillion')).toEqual(Array.from({ length: last.step + 1 }, (_, i) => i));
    expect(await a.store.latest('shared-trillion')).toEqual(last);
  });

  it('factor-pairs: B resumes from the latest checkpoint with a { runId } message when A’s message is lost', async () => {
    const a = instance();
    await a.runtime.start({ workflow: 'factor-pairs', input: 10 ** 12, runId: 'lost-message' });
    await drain(a, { maxMessages: 3 });
    while (queue.receive()) {
      // A crashed: its follow-up messages are gone.
    }
    const b = instance();
    await b.runtime.handleQueueMessage({ runId: 'lost-message' });
    await drain(b);
    const last = await latestOf(b.store, 'lost-message');
    expect(last.status).toBe('Completed');
    expect((outputOf(last) as unknown[]).length).toBe(85);
  });

  it('approval: started by A, answered through B, finished by B', async () => {
    const a = instance();
    const first = await a.runtime.start({ workflow: 'approval', input: { title: 'Shared', amount: 5 } });
    await drain(a);
    const b = instance();
    const view = await b.runtime.status(first.runId);
    expect(view.status).toBe('Waiting');
    await b.runtime.answer(first.runId, view.pendingRequests[0]!.requestId, { approved: true, comment: 'from B' });
    await drain(b);
    expect(outputOf(await latestOf(b.store, first.runId))).toEqual({ approved: true, comment: 'from B', title: 'Shared', amount: 5 });
  });

  it('approval: A sleeps, B wakes it up at the timeout', async () => {
    const a = instance();
    const first = await a.runtime.start({ workflow: 'approval', input: { title: 'Nobody answers', amount: 5, timeoutSeconds: 3_600 } });
    await drain(a);
    clock.advance(3_600_000);
    const b = instance();
    await drain(b);
    expect(outputOf(await latestOf(b.store, first.runId))).toMatchObject({ approved: false });
  });

  it('word-count: A splits, B maps and reduces', async () => {
    const a = instance();
    const first = await a.runtime.start({ workflow: 'word-count', input: { documents: ['a b', 'b'] } });
    await drain(a, { maxMessages: 1 });
    const b = instance();
    await drain(b);
    expect(outputOf(await latestOf(b.store, first.runId))).toEqual({ a: 1, b: 2 });
  });
});

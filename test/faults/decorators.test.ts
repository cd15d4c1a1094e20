import { describe, expect, it } from 'vitest';
import { CheckpointNotFoundError, TransientStoreError } from '../../src/checkpoints/errors';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import { InMemoryStepQueue } from '../../src/runtime';
import { makeCheckpoint } from '../support/checkpoints';
import { FaultInjector, InjectedCrash, type CrashPoint, type FaultRates } from './fault-injector';
import { FaultyStepQueue } from './faulty-queue';
import { FaultyCheckpointStore } from './faulty-store';
import { SaveLog } from './save-log';

const NO_CRASH = { 'before-superstep': 0, 'before-save': 0, 'after-save': 0, 'after-enqueue': 0 };
const QUIET: FaultRates = { crash: NO_CRASH, throttled: 0, unavailable: 0, timeout: 0, dropped: 0, deliveredTwice: 0 };

function setUp(rates: Partial<FaultRates>, random = () => 0) {
  const inner = new MemoryCheckpointStore();
  const faults = new FaultInjector({ ...QUIET, ...rates }, random);
  const saves = new SaveLog();
  const queue = new InMemoryStepQueue();
  return { inner, faults, saves, queue, store: new FaultyCheckpointStore(inner, faults, saves), faultyQueue: new FaultyStepQueue(queue, faults) };
}

const crashOnly = (point: CrashPoint) => ({ crash: { ...NO_CRASH, [point]: 1 } });

describe('fault decorators (what the fault suite injects)', () => {
  it('a crash before the superstep strikes at the delivery’s first store call, before it reaches the store', async () => {
    const { inner, faults, store } = setUp(crashOnly('before-superstep'));
    await inner.save(makeCheckpoint('run-a', 0));
    await expect(faults.deliver(false, () => store.load('run-a', 0))).rejects.toBeInstanceOf(InjectedCrash);
    expect(faults.counts.get('crash before the superstep')).toBe(1);
    // Outside a delivery nothing crashes.
    await expect(store.load('run-a', 0)).resolves.toMatchObject({ step: 0 });
  });

  it('a crash before the save writes nothing; a crash after the save writes and then throws', async () => {
    const before = setUp(crashOnly('before-save'));
    await expect(before.faults.deliver(false, () => before.store.save(makeCheckpoint('run-b', 0)))).rejects.toBeInstanceOf(InjectedCrash);
    await expect(before.inner.load('run-b', 0)).rejects.toBeInstanceOf(CheckpointNotFoundError);

    const after = setUp(crashOnly('after-save'));
    await expect(after.faults.deliver(false, () => after.store.save(makeCheckpoint('run-c', 0)))).rejects.toBeInstanceOf(InjectedCrash);
    await expect(after.inner.load('run-c', 0)).resolves.toMatchObject({ step: 0 });
    expect(after.faults.counts.get('crash after save, before enqueue')).toBe(1);
  });

  it('a crash after the enqueue sends the message and then throws; a dropped send sends nothing', async () => {
    const crash = setUp(crashOnly('after-enqueue'));
    await expect(crash.faults.deliver(false, () => crash.faultyQueue.send({ runId: 'run-d', step: 1 }))).rejects.toBeInstanceOf(InjectedCrash);
    expect(crash.queue.size).toBe(1);

    const drop = setUp({ dropped: 1 });
    await drop.faultyQueue.send({ runId: 'run-e', step: 1 });
    expect(drop.queue.size).toBe(0);
    expect(drop.faults.counts.get('follow-up message dropped')).toBe(1);
  });

  it('store faults throw TransientStoreError; a timed-out write may have happened', async () => {
    const throttled = setUp({ throttled: 1 });
    await expect(throttled.store.latest('run-f')).rejects.toThrow(/status 429/);

    // The generator answers 0 (timeout strikes, and "the request was done" too).
    const timeout = setUp({ timeout: 1 });
    const error = await timeout.store.save(makeCheckpoint('run-g', 0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientStoreError);
    await expect(timeout.inner.load('run-g', 0)).resolves.toMatchObject({ step: 0 });
    expect(timeout.faults.counts.get('store timeout, done but answer lost')).toBe(1);
  });

  it('spares the last delivery of a message from injected faults, but not from a permanent one', async () => {
    const { inner, faults, store } = setUp({ ...crashOnly('before-superstep'), unavailable: 1 });
    await inner.save(makeCheckpoint('run-h', 0));
    await expect(faults.deliver(true, () => store.load('run-h', 0))).resolves.toMatchObject({ step: 0 });
    faults.brokenReads.add('run-h');
    await expect(faults.deliver(true, () => store.load('run-h', 0))).rejects.toThrow(/always fails/);
  });

  it('the save log sees a step created twice', async () => {
    const { saves } = setUp({});
    saves.record(makeCheckpoint('run-i', 1));
    saves.record(makeCheckpoint('run-i', 1));
    saves.record(makeCheckpoint('run-j', 1));
    expect([...saves.doubleCreates()]).toEqual(['run-i']);
  });
});

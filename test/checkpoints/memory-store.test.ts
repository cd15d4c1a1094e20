import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/engine/checkpoint';
import { InvalidCheckpointArgumentError } from '../../src/checkpoints/errors';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import { makeCheckpoint, uniqueRunId } from '../support/checkpoints';
import { describeCheckpointStoreContract } from './contract';

describeCheckpointStoreContract('memory', async () => ({ store: new MemoryCheckpointStore() }));

describe('MemoryCheckpointStore', () => {
  it('keeps what it stored when the caller changes the saved object afterwards', async () => {
    const store = new MemoryCheckpointStore();
    const runId = uniqueRunId();
    const checkpoint = makeCheckpoint(runId, 0, { state: { items: [1, 2] } });
    const original = structuredClone(checkpoint);

    await store.save(checkpoint);
    (checkpoint.state as { items: number[] }).items.push(3);
    checkpoint.status = 'Failed';

    expect(await store.load(runId, 0)).toStrictEqual(original);
  });

  it('hands out copies, so changing what load or latest returned changes nothing stored', async () => {
    const store = new MemoryCheckpointStore();
    const runId = uniqueRunId();
    const checkpoint = makeCheckpoint(runId, 0);
    await store.save(structuredClone(checkpoint));

    const loaded = await store.load(runId, 0);
    loaded.messages.length = 0;
    const latest = (await store.latest(runId)) as Checkpoint;
    latest.metrics.durationMs = 999;
    const [summary] = (await store.list(runId)).items;
    summary!.metrics.bytes = 999;

    expect(await store.load(runId, 0)).toStrictEqual(checkpoint);
  });

  it('reports the size of the document as compact JSON', async () => {
    const store = new MemoryCheckpointStore();
    const checkpoint = makeCheckpoint(uniqueRunId(), 0, { state: { text: 'héllo' } });
    expect((await store.save(checkpoint)).bytes).toBe(Buffer.byteLength(JSON.stringify(checkpoint), 'utf8'));
  });

  it('refuses a document that is not a checkpoint, saying what is wrong', async () => {
    const store = new MemoryCheckpointStore();
    const runId = uniqueRunId();
    await expect(store.save(null as unknown as Checkpoint)).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
    await expect(store.save({ ...makeCheckpoint(runId, 0), version: 2 } as unknown as Checkpoint)).rejects.toThrow(/format version 2/);
    await expect(store.save({ ...makeCheckpoint(runId, 0), status: 'Done' } as unknown as Checkpoint)).rejects.toThrow(/'status'/);
    expect(await store.listIds(runId)).toEqual([]);
  });

  it('refuses a continuation handed out for another run', async () => {
    const store = new MemoryCheckpointStore();
    const runA = uniqueRunId('a');
    const runB = uniqueRunId('b');
    for (const step of [0, 1, 2]) {
      await store.save(makeCheckpoint(runA, step));
      await store.save(makeCheckpoint(runB, step));
    }
    const { continuation } = await store.list(runA, { limit: 1 });
    expect(continuation).toBeDefined();

    await expect(store.list(runB, { continuation })).rejects.toThrow(/another run/);
    await expect(store.listRuns({ continuation })).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
  });

  it('keeps pages exact: full pages, then the rest, then no continuation', async () => {
    const store = new MemoryCheckpointStore();
    const runId = uniqueRunId();
    for (let step = 0; step < 6; step++) await store.save(makeCheckpoint(runId, step));

    const first = await store.list(runId, { limit: 3 });
    const second = await store.list(runId, { limit: 3, continuation: first.continuation });

    expect(first.items.map((item) => item.step)).toEqual([5, 4, 3]);
    expect(second).toMatchObject({ items: [{ step: 2 }, { step: 1 }, { step: 0 }] });
    expect(second.continuation).toBeUndefined();
  });

  it('continues a listing correctly when newer checkpoints arrive between pages', async () => {
    const store = new MemoryCheckpointStore();
    const runId = uniqueRunId();
    for (let step = 0; step < 4; step++) await store.save(makeCheckpoint(runId, step));

    const first = await store.list(runId, { limit: 2 });
    await store.save(makeCheckpoint(runId, 4));
    const second = await store.list(runId, { limit: 2, continuation: first.continuation });

    expect(first.items.map((item) => item.step)).toEqual([3, 2]);
    expect(second.items.map((item) => item.step)).toEqual([1, 0]);
  });
});

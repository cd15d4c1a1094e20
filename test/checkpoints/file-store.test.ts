import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/engine/checkpoint';
import {
  CheckpointConflictError,
  CorruptCheckpointError,
  InvalidCheckpointArgumentError,
} from '../../src/checkpoints/errors';
import { FileCheckpointStore } from '../../src/checkpoints/file-store';
import { stepId } from '../../src/checkpoints/ids';
import { runFolderName, runIdOfFolder } from '../../src/checkpoints/run-folder-name';
import { makeCheckpoint, uniqueRunId, saveSteps as saveStepsIn } from '../support/checkpoints';
import { describeCheckpointStoreContract, INVALID_RUN_IDS } from './contract';

async function makeTempDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'file-store-test-'));
}

describeCheckpointStoreContract('file', async () => {
  const directory = await makeTempDirectory();
  return {
    store: new FileCheckpointStore({ directory }),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

describe('FileCheckpointStore', () => {
  let directory: string;
  let store: FileCheckpointStore;
  const corruptions: CorruptCheckpointError[] = [];

  beforeEach(async () => {
    directory = await makeTempDirectory();
    corruptions.length = 0;
    store = new FileCheckpointStore({ directory, onCorrupt: (error) => corruptions.push(error) });
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const fileOf = (runId: string, step: number): string => path.join(directory, runFolderName(runId), `${stepId(step)}.json`);

  const saveSteps = (runId: string, steps: readonly number[], overrides: Partial<Checkpoint> = {}) => saveStepsIn(store, runId, steps, overrides);

  describe('layout', () => {
    it('writes one compact JSON file per checkpoint in a folder named after the run', async () => {
      const runId = 'plain-run.v1_a';
      const checkpoint = makeCheckpoint(runId, 12, { state: { text: 'héllo' } });

      const result = await store.save(checkpoint);

      const text = await readFile(path.join(directory, runId, '0000000012.json'), 'utf8');
      expect(text).toBe(JSON.stringify(checkpoint));
      expect(result.bytes).toBe(Buffer.byteLength(text, 'utf8'));
      expect(await readdir(path.join(directory, runId))).toEqual(['0000000012.json']);
    });

    it('keeps folder names portable: distinct ignoring case, no colons, no trailing dots, no device names', async () => {
      const runIds = ['Run-1', 'run-1', 'RUN-1', 'a:b', 'a.', 'con', 'nul.txt', '.hidden', 'x'.repeat(128), 'X'.repeat(128)];
      for (const runId of runIds) await store.save(makeCheckpoint(runId, 0));

      const folders = await readdir(directory);

      expect(folders).toHaveLength(runIds.length);
      expect(new Set(folders.map((name) => name.toLowerCase())).size).toBe(runIds.length);
      for (const name of folders) {
        expect(name).toMatch(/^[a-z0-9_.+-]+$/);
        expect(name).not.toMatch(/\.$|^\./);
        expect(name.length).toBeLessThanOrEqual(255);
        expect(name.split('.')[0]).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)$/);
      }
      expect(folders.map((name) => runIdOfFolder(name)).sort()).toEqual([...runIds].sort());
    });

    it('leaves folders that are not run folders out of listRuns', async () => {
      await saveSteps('real-run', [0]);
      await mkdir(path.join(directory, 'Not-Canonical'));
      await mkdir(path.join(directory, '+!!'));
      await writeFile(path.join(directory, 'stray-file'), 'x');

      expect((await store.listRuns()).items.map((run) => run.runId)).toEqual(['real-run']);
    });

    it('creates nothing on disk for a refused run id or step', async () => {
      for (const runId of INVALID_RUN_IDS) {
        const id = runId as string;
        const calls = [
          store.save(makeCheckpoint(id, 0)),
          store.load(id, 0),
          store.latest(id),
          store.list(id),
          store.listIds(id),
          store.delete(id, 0),
          store.deleteRun(id),
        ];
        for (const call of calls) await expect(call).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      }
      await expect(store.save(makeCheckpoint('good-run', -1))).rejects.toBeInstanceOf(InvalidCheckpointArgumentError);
      await expect(store.save({ ...makeCheckpoint('good-run', 0), version: 9 } as unknown as Checkpoint)).rejects.toThrow(/version 9/);

      expect(await readdir(directory)).toEqual([]);
      expect(await readdir(path.dirname(directory))).not.toContain('escape');
    });

    it('works on a directory that does not exist yet, and creates it on the first save', async () => {
      const nested = path.join(directory, 'not', 'yet');
      const fresh = new FileCheckpointStore({ directory: nested });

      expect(await fresh.latest('some-run')).toBeUndefined();
      expect(await fresh.listRuns()).toStrictEqual({ items: [] });
      expect(await fresh.deleteRun('some-run')).toBe(0);

      await fresh.save(makeCheckpoint('some-run', 0));
      expect((await stat(nested)).isDirectory()).toBe(true);
    });

    it('refuses to be made without a directory', () => {
      expect(() => new FileCheckpointStore({ directory: '' })).toThrow(InvalidCheckpointArgumentError);
      expect(() => new FileCheckpointStore(undefined as unknown as { directory: string })).toThrow(/directory/);
    });

    it('removes the run folder on deleteRun, temp files included', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0, 1]);
      await writeFile(path.join(directory, runId, '.0000000002.json.999-crashed.tmp'), '{"half');

      expect(await store.deleteRun(runId)).toBe(2);
      expect(await readdir(directory)).toEqual([]);
    });

    it('removes the run folder when delete takes its last checkpoint', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0]);
      expect(await store.delete(runId, 0)).toBe(true);
      expect(await readdir(directory)).toEqual([]);
    });
  });

  describe('crash safety', () => {
    it('ignores a temp file a crashed save left behind, and can still save that step', async () => {
      const runId = uniqueRunId();
      const saved = await saveSteps(runId, [0, 1]);
      const folder = path.join(directory, runId);
      await writeFile(path.join(folder, '.0000000002.json.4242-0a1b.tmp'), '{"version":1,"runId":"half-writ');
      await writeFile(path.join(folder, '0000000003.json.tmp'), '{');
      await writeFile(path.join(folder, 'notes.txt'), 'not a checkpoint');

      expect(await store.listIds(runId)).toEqual([0, 1]);
      expect(await store.latest(runId)).toStrictEqual(saved[1]);
      expect((await store.list(runId)).items.map((item) => item.step)).toEqual([1, 0]);

      const next = makeCheckpoint(runId, 2);
      await store.save(next);
      expect(await store.latest(runId)).toStrictEqual(next);
    });

    it('leaves no temp file behind after saves and conflicts', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0]);
      await expect(store.save(makeCheckpoint(runId, 0))).rejects.toBeInstanceOf(CheckpointConflictError);
      expect(await readdir(path.join(directory, runId))).toEqual(['0000000000.json']);
    });
  });

  describe('corrupt files', () => {
    it('names the file of a checkpoint that is not JSON, and keeps the rest of the run readable', async () => {
      const runId = uniqueRunId();
      const saved = await saveSteps(runId, [0, 1, 2, 3]);
      await writeFile(fileOf(runId, 1), '{"version":1,"runId":');

      const load = store.load(runId, 1);
      await expect(load).rejects.toBeInstanceOf(CorruptCheckpointError);
      await expect(load).rejects.toThrow(fileOf(runId, 1));
      await expect(load).rejects.toThrow(/not valid JSON/);

      expect(await store.load(runId, 0)).toStrictEqual(saved[0]);
      expect(await store.latest(runId)).toStrictEqual(saved[3]);
      expect(await store.listIds(runId)).toEqual([0, 1, 2, 3]);
      expect((await store.list(runId, { limit: 2 })).items.map((item) => item.step)).toEqual([3, 2]);
    });

    it('refuses JSON that is not a checkpoint, from a newer format, or of another run or step', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0, 1, 2, 3]);
      const other = makeCheckpoint(uniqueRunId('other'), 2);
      await writeFile(fileOf(runId, 0), JSON.stringify({ hello: 'world' }));
      await writeFile(fileOf(runId, 1), JSON.stringify({ ...makeCheckpoint(runId, 1), version: 2 }));
      await writeFile(fileOf(runId, 2), JSON.stringify(other));
      await writeFile(fileOf(runId, 3), JSON.stringify(makeCheckpoint(runId, 4)));

      await expect(store.load(runId, 0)).rejects.toThrow(/unknown format version undefined/);
      await expect(store.load(runId, 1)).rejects.toThrow(/unknown format version 2/);
      await expect(store.load(runId, 2)).rejects.toThrow(new RegExp(`run '${other.runId}'`));
      await expect(store.load(runId, 3)).rejects.toThrow(/checkpoint 4 of run/);
      for (const step of [0, 1, 2, 3]) {
        await expect(store.load(runId, step)).rejects.toMatchObject({ name: 'CorruptCheckpointError', location: fileOf(runId, step) });
      }
    });

    it('makes latest throw, naming the file, when the newest checkpoint is unreadable, rather than return an older one', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0, 1, 2]);
      await writeFile(fileOf(runId, 2), '');

      await expect(store.latest(runId)).rejects.toThrow(fileOf(runId, 2));
    });

    it('makes list throw, naming the file, for a page that holds an unreadable checkpoint', async () => {
      const runId = uniqueRunId();
      await saveSteps(runId, [0, 1, 2, 3]);
      await writeFile(fileOf(runId, 1), 'garbage');

      const first = await store.list(runId, { limit: 2 });
      expect(first.items.map((item) => item.step)).toEqual([3, 2]);
      await expect(store.list(runId, { limit: 2, continuation: first.continuation })).rejects.toThrow(fileOf(runId, 1));
    });

    it('leaves a run with an unreadable latest checkpoint out of listRuns and reports it', async () => {
      const workflow = `corrupt-${Date.now()}`;
      const healthy = uniqueRunId('healthy');
      const broken = uniqueRunId('broken');
      await saveSteps(healthy, [0], { workflow });
      await saveSteps(broken, [0, 1], { workflow });
      await writeFile(fileOf(broken, 1), '{');

      const page = await store.listRuns({ workflow });

      expect(page.items.map((run) => run.runId)).toEqual([healthy]);
      expect(corruptions).toHaveLength(1);
      expect(corruptions[0]!.location).toBe(fileOf(broken, 1));
    });
  });

  describe('several instances on one folder', () => {
    it('sees everything a previous instance wrote after a restart', async () => {
      const runId = uniqueRunId();
      const saved = await saveSteps(runId, [0, 1, 2], { workflow: 'restart' });

      const restarted = new FileCheckpointStore({ directory });

      expect(await restarted.latest(runId)).toStrictEqual(saved[2]);
      expect(await restarted.load(runId, 0)).toStrictEqual(saved[0]);
      expect(await restarted.listIds(runId)).toEqual([0, 1, 2]);
      expect((await restarted.listRuns({ workflow: 'restart' })).items).toMatchObject([{ runId, step: 2 }]);
      await restarted.save(makeCheckpoint(runId, 3));
      expect((await store.latest(runId))?.step).toBe(3);
    });

    it('refuses a step that another instance already saved', async () => {
      const other = new FileCheckpointStore({ directory });
      const runId = uniqueRunId();
      const first = makeCheckpoint(runId, 0, { state: { by: 'store' } });
      await store.save(first);

      await expect(other.save(makeCheckpoint(runId, 0, { state: { by: 'other' } }))).rejects.toMatchObject({
        name: 'CheckpointConflictError',
        runId,
        step: 0,
      });
      expect(await other.load(runId, 0)).toStrictEqual(first);
    });

    it('lets exactly one of many instances racing for the same step win', async () => {
      const instances = Array.from({ length: 8 }, () => new FileCheckpointStore({ directory }));
      const runId = uniqueRunId();
      for (let step = 1; step <= 5; step++) {
        const results = await Promise.allSettled(
          instances.map((instance, writer) => instance.save(makeCheckpoint(runId, step, { state: { writer } }))),
        );
        const winners = results.filter((result) => result.status === 'fulfilled');
        expect(winners, `step ${step}`).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(CheckpointConflictError);
        }
      }
      expect(await store.listIds(runId)).toEqual([1, 2, 3, 4, 5]);
      expect((await readdir(path.join(directory, runId))).sort()).toEqual([1, 2, 3, 4, 5].map((step) => `${stepId(step)}.json`));
    });
  });
});

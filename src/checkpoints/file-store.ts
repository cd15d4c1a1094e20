import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { summarize, type Checkpoint, type CheckpointSummary } from '../engine/checkpoint';
import { assertCheckpointToSave, parseStoredCheckpoint, runSummaryOf } from './checkpoint-document';
import {
  CheckpointConflictError,
  CheckpointNotFoundError,
  CorruptCheckpointError,
  InvalidCheckpointArgumentError,
} from './errors';
import { assertRunId, assertStep, stepId } from './ids';
import { takeStepPage } from './paging';
import { runFolderName, runIdOfFolder } from './run-folder-name';
import { parseRunQuery, selectRunPage } from './run-query';
import type { CheckpointStore, Page, PageOptions, RunQuery, RunSummary, SaveResult } from './store';

export interface FileCheckpointStoreOptions {
  /** Root folder; created on the first save. */
  directory: string;
  /**
   * Told about each run that `listRuns` leaves out because its latest checkpoint is unreadable.
   * Defaults to a process warning.
   */
  onCorrupt?: (error: CorruptCheckpointError) => void;
}

/** Only names of this form are checkpoints; temp files and anything else in a run folder are ignored. */
const CHECKPOINT_FILE = /^(\d{10})\.json$/;
/** Attempts at a save whose run folder another call removed meanwhile (delete or deleteRun). */
const SAVE_ATTEMPTS = 3;
/** Runs whose latest checkpoint `listRuns` reads at the same time. */
const LIST_RUNS_CONCURRENCY = 16;

/**
 * The embedded store: `<directory>/<run folder>/<step>.json`, one compact JSON file per checkpoint.
 *
 * A save writes and flushes a temp file in the run folder, then hard-links it to the final name,
 * which fails when that name exists: create-only across instances and processes, and a crash never
 * leaves a partial file under a checkpoint's name (a leftover temp file is ignored by every read).
 *
 * Unreadable files raise `CorruptCheckpointError` naming the file from `load`, from `list` when the
 * page holds them, and from `latest` when the newest file is unreadable — returning an older step
 * there could fork the run. `listIds` reads names only, so it still shows every step. `listRuns`
 * skips a run whose latest checkpoint is unreadable and reports it through `onCorrupt`, so one bad
 * file cannot stop the listing or the sweeper.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly directory: string;
  private readonly onCorrupt: (error: CorruptCheckpointError) => void;

  constructor(options: FileCheckpointStoreOptions) {
    const directory = (options as Partial<FileCheckpointStoreOptions> | undefined)?.directory;
    if (typeof directory !== 'string' || directory.trim() === '') {
      throw new InvalidCheckpointArgumentError('FileCheckpointStore needs { directory }: the folder that holds the checkpoints');
    }
    this.directory = path.resolve(directory);
    this.onCorrupt = options.onCorrupt ?? ((error) => process.emitWarning(error));
  }

  async save(checkpoint: Checkpoint): Promise<SaveResult> {
    assertCheckpointToSave(checkpoint);
    const { runId, step } = checkpoint;
    const text = JSON.stringify(checkpoint);
    const folder = this.runFolder(runId);
    const file = this.checkpointFile(runId, step);
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.createFile(folder, file, text))) throw new CheckpointConflictError(runId, step);
        break;
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' || attempt >= SAVE_ATTEMPTS) throw error;
      }
    }
    await flushFolder(folder);
    return { bytes: Buffer.byteLength(text, 'utf8') };
  }

  async load(runId: string, step: number): Promise<Checkpoint> {
    assertRunId(runId);
    assertStep(step);
    const checkpoint = await this.read(runId, step);
    if (!checkpoint) throw new CheckpointNotFoundError(runId, step);
    return checkpoint;
  }

  async latest(runId: string): Promise<Checkpoint | undefined> {
    assertRunId(runId);
    const steps = await this.steps(runId);
    // Reads only the newest file; an older one only when the newest was deleted meanwhile.
    for (let index = steps.length - 1; index >= 0; index--) {
      const checkpoint = await this.read(runId, steps[index]!);
      if (checkpoint) return checkpoint;
    }
    return undefined;
  }

  async list(runId: string, options: PageOptions = {}): Promise<Page<CheckpointSummary>> {
    assertRunId(runId);
    const page = takeStepPage(runId, await this.steps(runId), options);
    const checkpoints = await Promise.all(page.items.map((step) => this.read(runId, step)));
    const items = checkpoints.filter((checkpoint) => checkpoint !== undefined).map(summarize);
    return page.continuation === undefined ? { items } : { items, continuation: page.continuation };
  }

  async listIds(runId: string): Promise<number[]> {
    assertRunId(runId);
    return this.steps(runId);
  }

  async delete(runId: string, step: number): Promise<boolean> {
    assertRunId(runId);
    assertStep(step);
    try {
      await unlink(this.checkpointFile(runId, step));
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    // Drop the folder once the run has nothing left; fails harmlessly while anything remains.
    await rmdir(this.runFolder(runId)).catch(() => undefined);
    return true;
  }

  async deleteRun(runId: string): Promise<number> {
    assertRunId(runId);
    let removed = 0;
    for (const step of await this.steps(runId)) {
      try {
        await unlink(this.checkpointFile(runId, step));
        removed++;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    await rm(this.runFolder(runId), { recursive: true, force: true });
    return removed;
  }

  async listRuns(query?: RunQuery): Promise<Page<RunSummary>> {
    const parsed = parseRunQuery(query);
    const runIds = await this.runIds();
    const runs: RunSummary[] = [];
    await forEachLimited(runIds, LIST_RUNS_CONCURRENCY, async (runId) => {
      try {
        const latest = await this.latest(runId);
        if (latest) runs.push(runSummaryOf(latest));
      } catch (error) {
        if (!(error instanceof CorruptCheckpointError)) throw error;
        this.onCorrupt(error);
      }
    });
    return selectRunPage(runs, parsed);
  }

  async close(): Promise<void> {}

  /** Writes and flushes a temp file, then links it to `file`; false when `file` already exists. */
  private async createFile(folder: string, file: string, text: string): Promise<boolean> {
    await mkdir(folder, { recursive: true });
    const temp = path.join(folder, `.${path.basename(file)}.${process.pid}-${randomUUID()}.tmp`);
    try {
      await writeFlushed(temp, text);
      try {
        await link(temp, file);
      } catch (error) {
        if (errorCode(error) === 'EEXIST') return false;
        throw error;
      }
      return true;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** The checkpoint, or `undefined` when its file does not exist. */
  private async read(runId: string, step: number): Promise<Checkpoint | undefined> {
    const file = this.checkpointFile(runId, step);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return parseStoredCheckpoint(text, file, runId, step);
  }

  /** The run's steps from the file names, ascending. */
  private async steps(runId: string): Promise<number[]> {
    const names = await namesIn(this.runFolder(runId));
    const steps: number[] = [];
    for (const name of names) {
      const match = CHECKPOINT_FILE.exec(name);
      if (match) steps.push(Number(match[1]));
    }
    return steps.sort((a, b) => a - b);
  }

  private async runIds(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.directory, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const runIds: string[] = [];
    for (const entry of entries) {
      const runId = entry.isDirectory() ? runIdOfFolder(entry.name) : undefined;
      if (runId !== undefined) runIds.push(runId);
    }
    return runIds;
  }

  /** Only ever called with a validated run id. */
  private runFolder(runId: string): string {
    return path.join(this.directory, runFolderName(runId));
  }

  /** Only ever called with a validated run id; `stepId` validates the step. */
  private checkpointFile(runId: string, step: number): string {
    return path.join(this.runFolder(runId), `${stepId(step)}.json`);
  }
}

async function namesIn(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** Creates `file` (never overwrites) with `text`, on disk before it returns. */
async function writeFlushed(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a new name in the folder durable; best effort, and skipped where folders cannot be flushed. */
async function flushFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The checkpoint is written and visible; only its durability across a power loss is weaker.
  }
}

async function forEachLimited<T>(items: readonly T[], concurrency: number, action: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await action(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

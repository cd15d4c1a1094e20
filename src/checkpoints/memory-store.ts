import { summarize, type Checkpoint, type CheckpointSummary } from '../engine/checkpoint';
import { assertCheckpointToSave, runSummaryOf } from './checkpoint-document';
import { CheckpointConflictError, CheckpointNotFoundError } from './errors';
import { assertRunId, assertStep } from './ids';
import { takeStepPage } from './paging';
import { parseRunQuery, selectRunPage } from './run-query';
import type { CheckpointStore, Page, PageOptions, RunQuery, RunSummary, SaveResult } from './store';

/**
 * Checkpoints in this process's memory, for tests and throwaway runs. Each one is kept as its JSON
 * text, as a durable store would keep it: the one serialization on save is the copy and the size,
 * and every read parses a fresh copy, so no caller can change what is stored.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly runs = new Map<string, Map<number, string>>();

  async save(checkpoint: Checkpoint): Promise<SaveResult> {
    assertCheckpointToSave(checkpoint);
    const { runId, step } = checkpoint;
    let steps = this.runs.get(runId);
    if (steps?.has(step)) throw new CheckpointConflictError(runId, step);
    const text = JSON.stringify(checkpoint);
    if (!steps) {
      steps = new Map();
      this.runs.set(runId, steps);
    }
    steps.set(step, text);
    return { bytes: Buffer.byteLength(text, 'utf8') };
  }

  async load(runId: string, step: number): Promise<Checkpoint> {
    assertRunId(runId);
    assertStep(step);
    const text = this.runs.get(runId)?.get(step);
    if (text === undefined) throw new CheckpointNotFoundError(runId, step);
    return JSON.parse(text) as Checkpoint;
  }

  async latest(runId: string): Promise<Checkpoint | undefined> {
    assertRunId(runId);
    return this.latestStored(runId);
  }

  async list(runId: string, options: PageOptions = {}): Promise<Page<CheckpointSummary>> {
    assertRunId(runId);
    const page = takeStepPage(runId, this.steps(runId), options);
    const steps = this.runs.get(runId);
    const items = page.items.map((step) => summarize(JSON.parse(steps!.get(step)!) as Checkpoint));
    return page.continuation === undefined ? { items } : { items, continuation: page.continuation };
  }

  async listIds(runId: string): Promise<number[]> {
    assertRunId(runId);
    return this.steps(runId);
  }

  async delete(runId: string, step: number): Promise<boolean> {
    assertRunId(runId);
    assertStep(step);
    const steps = this.runs.get(runId);
    const deleted = steps?.delete(step) ?? false;
    if (steps?.size === 0) this.runs.delete(runId);
    return deleted;
  }

  async deleteRun(runId: string): Promise<number> {
    assertRunId(runId);
    const count = this.runs.get(runId)?.size ?? 0;
    this.runs.delete(runId);
    return count;
  }

  async listRuns(query?: RunQuery): Promise<Page<RunSummary>> {
    const parsed = parseRunQuery(query);
    const runs: RunSummary[] = [];
    for (const runId of this.runs.keys()) {
      const latest = this.latestStored(runId);
      if (latest) runs.push(runSummaryOf(latest));
    }
    return selectRunPage(runs, parsed);
  }

  async close(): Promise<void> {}

  /** The run's steps, ascending. */
  private steps(runId: string): number[] {
    return [...(this.runs.get(runId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  private latestStored(runId: string): Checkpoint | undefined {
    const steps = this.runs.get(runId);
    if (!steps || steps.size === 0) return undefined;
    let highest = -1;
    for (const step of steps.keys()) highest = Math.max(highest, step);
    return JSON.parse(steps.get(highest)!) as Checkpoint;
  }
}

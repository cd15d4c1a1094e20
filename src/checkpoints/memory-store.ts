import { summarize, type Checkpoint, type CheckpointSummary } from '../engine/checkpoint';
import { assertCheckpointToSave, runSummaryOf } from './checkpoint-document';
import { CheckpointConflictError, CheckpointNotFoundError } from './errors';
import { assertRunId, assertStep } from './ids';
import { decodeStepCursor, encodeStepCursor, resolvePageLimit, takePage } from './paging';
import { parseRunQuery, selectRunPage } from './run-query';
import type { CheckpointStore, Page, PageOptions, RunQuery, RunSummary, SaveResult } from './store';

/**
 * Checkpoints in this process's memory, for tests and throwaway runs. Stores a copy on save and
 * hands out a copy on every read, so no caller can change what is stored.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly runs = new Map<string, Map<number, Checkpoint>>();

  async save(checkpoint: Checkpoint): Promise<SaveResult> {
    assertCheckpointToSave(checkpoint);
    const { runId, step } = checkpoint;
    const bytes = Buffer.byteLength(JSON.stringify(checkpoint), 'utf8');
    let steps = this.runs.get(runId);
    if (steps?.has(step)) throw new CheckpointConflictError(runId, step);
    const copy = structuredClone(checkpoint);
    if (!steps) {
      steps = new Map();
      this.runs.set(runId, steps);
    }
    steps.set(step, copy);
    return { bytes };
  }

  async load(runId: string, step: number): Promise<Checkpoint> {
    assertRunId(runId);
    assertStep(step);
    const checkpoint = this.runs.get(runId)?.get(step);
    if (!checkpoint) throw new CheckpointNotFoundError(runId, step);
    return structuredClone(checkpoint);
  }

  async latest(runId: string): Promise<Checkpoint | undefined> {
    assertRunId(runId);
    const latest = this.latestStored(runId);
    return latest && structuredClone(latest);
  }

  async list(runId: string, options: PageOptions = {}): Promise<Page<CheckpointSummary>> {
    assertRunId(runId);
    const limit = resolvePageLimit(options.limit);
    const cursor = decodeStepCursor(options.continuation, runId);
    const newestFirst = this.steps(runId).reverse();
    const page = takePage(
      newestFirst,
      limit,
      (step) => cursor === undefined || step < cursor.before,
      (step) => encodeStepCursor({ runId, before: step }),
    );
    const steps = this.runs.get(runId);
    const items = page.items.map((step) => structuredClone(summarize(steps!.get(step)!)));
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
    if (!steps) return undefined;
    let highest: Checkpoint | undefined;
    for (const checkpoint of steps.values()) {
      if (!highest || checkpoint.step > highest.step) highest = checkpoint;
    }
    return highest;
  }
}

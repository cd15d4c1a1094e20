import { TransientStoreError } from '../../src/checkpoints/errors';
import type { CheckpointStore, LoadOptions, Page, PageOptions, RunQuery, RunSummary, SaveResult } from '../../src/checkpoints/store';
import type { Checkpoint, CheckpointSummary } from '../../src/engine';
import type { FaultInjector } from './fault-injector';
import type { SaveLog } from './save-log';

/**
 * A checkpoint store that fails like Cosmos DB does under load: throttling (429), an unavailable
 * service (503) and timeouts, some of them after the write happened (the answer was lost). During
 * a delivery it also plays the crash points around the save.
 */
export class FaultyCheckpointStore implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    private readonly faults: FaultInjector,
    private readonly saves: SaveLog,
  ) {}

  save(checkpoint: Checkpoint): Promise<SaveResult> {
    return this.call(`saving checkpoint ${checkpoint.step} of run '${checkpoint.runId}'`, async () => {
      this.faults.crashAt('before-save');
      const result = await this.inner.save(checkpoint);
      this.saves.record(checkpoint);
      this.faults.crashAt('after-save');
      return result;
    });
  }

  load(runId: string, step: number, options?: LoadOptions): Promise<Checkpoint> {
    return this.call(`loading checkpoint ${step} of run '${runId}'`, () => {
      if (this.faults.brokenReads.has(runId)) throw new TransientStoreError(`injected: reading run '${runId}' always fails (status 503)`);
      return this.inner.load(runId, step, options);
    });
  }

  latest(runId: string): Promise<Checkpoint | undefined> {
    return this.call(`reading the latest checkpoint of run '${runId}'`, () => this.inner.latest(runId));
  }

  list(runId: string, options?: PageOptions): Promise<Page<CheckpointSummary>> {
    return this.call(`listing run '${runId}'`, () => this.inner.list(runId, options));
  }

  listIds(runId: string): Promise<number[]> {
    return this.call(`listing the steps of run '${runId}'`, () => this.inner.listIds(runId));
  }

  delete(runId: string, step: number): Promise<boolean> {
    return this.call(`deleting checkpoint ${step} of run '${runId}'`, () => this.inner.delete(runId, step));
  }

  deleteRun(runId: string): Promise<number> {
    return this.call(`deleting run '${runId}'`, () => this.inner.deleteRun(runId));
  }

  listRuns(query?: RunQuery): Promise<Page<RunSummary>> {
    return this.call('listing runs', () => this.inner.listRuns(query));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async call<T>(action: string, real: () => Promise<T>): Promise<T> {
    this.faults.enterStore();
    if (!this.faults.mayFault()) return real();
    const { rates } = this.faults;
    if (this.faults.chance(rates.throttled)) {
      this.faults.count('store 429 throttled');
      throw new TransientStoreError(`injected: Cosmos DB ${action} failed for now (status 429): request rate is large`, 20);
    }
    if (this.faults.chance(rates.unavailable)) {
      this.faults.count('store 503 unavailable');
      throw new TransientStoreError(`injected: Cosmos DB ${action} failed for now (status 503): service unavailable`);
    }
    if (this.faults.chance(rates.timeout)) {
      // Half the timeouts lose only the answer: the request reached the store and did its work.
      const done = this.faults.chance(0.5);
      if (done) await real();
      this.faults.count(done ? 'store timeout, done but answer lost' : 'store timeout, not done');
      throw new TransientStoreError(`injected: Cosmos DB ${action} failed for now (status 408): the request timed out`);
    }
    return real();
  }
}

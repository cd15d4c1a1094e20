import type { CheckpointStore, LoadOptions, PageOptions, RunQuery } from '../../src/checkpoints/store';
import type { Checkpoint } from '../../src/engine';
import { workflow } from '../../src/engine';

/** Counts to its input, one increment per superstep, and outputs the count. `reshaped` adds an executor: another graph. */
export function counterWorkflow(version = '1', reshaped = false) {
  const builder = workflow('counter', { version })
    .executor('count', (target: number, ctx) => {
      const count = (ctx.state.get<number>('count') ?? 0) + 1;
      ctx.state.set('count', count);
      if (count < target) ctx.send(target);
      else ctx.output({ count });
    })
    .start('count')
    .edge('count', 'count');
  return (reshaped ? builder.executor('audit', () => {}).edge('count', 'audit', { when: () => false }) : builder).build();
}

/** Asks one question and outputs the answer; its timer (when given) ends the wait with 'timeout'. */
export const askWorkflow = workflow('ask', { version: '1' })
  .executor('ask', {
    handle: (input: { timeoutMs?: number }, ctx) => {
      ctx.state.set('request', ctx.requestInput({ question: 'yes?' }));
      if (input.timeoutMs !== undefined) ctx.state.set('timer', ctx.sleep(input.timeoutMs));
    },
    parseResponse: (response) => {
      if (typeof response !== 'string') throw new Error('the answer must be a string');
      return response;
    },
    onResponse: (answer: string, ctx) => {
      const timer = ctx.state.get<string>('timer');
      if (timer) ctx.cancelTimer(timer);
      ctx.output(answer);
    },
    onTimer: (_: unknown, ctx) => {
      ctx.cancelRequest(ctx.state.get<string>('request')!);
      ctx.output('timeout');
    },
  })
  .start('ask')
  .build();

/** Fails `failures` times with back-off, then outputs 'done'. */
export function flakyWorkflow(failures: number) {
  let calls = 0;
  return workflow('flaky', { version: '1' })
    .executor('work', {
      handle: (_: unknown, ctx) => {
        if (calls++ < failures) throw new Error(`failure ${calls}`);
        ctx.output('done');
      },
      retry: { maxAttempts: failures + 1, initialDelayMs: 10_000, backoffFactor: 2, maxDelayMs: 60_000 },
    })
    .start('work')
    .build();
}

export interface StoreHooks {
  /** Runs before each save reaches the store; may wait to force an interleaving. */
  beforeSave?: (checkpoint: Checkpoint) => Promise<void> | void;
  /** Runs after each save that succeeded. */
  afterSave?: (checkpoint: Checkpoint) => void;
}

/** A store that lets a test step in around saves, to force one order of two racing writers. */
export class HookedStore implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    private readonly hooks: StoreHooks,
  ) {}

  async save(checkpoint: Checkpoint) {
    await this.hooks.beforeSave?.(checkpoint);
    const result = await this.inner.save(checkpoint);
    this.hooks.afterSave?.(checkpoint);
    return result;
  }
  load(runId: string, step: number, options?: LoadOptions) {
    return this.inner.load(runId, step, options);
  }
  latest(runId: string) {
    return this.inner.latest(runId);
  }
  list(runId: string, options?: PageOptions) {
    return this.inner.list(runId, options);
  }
  listIds(runId: string) {
    return this.inner.listIds(runId);
  }
  delete(runId: string, step: number) {
    return this.inner.delete(runId, step);
  }
  deleteRun(runId: string) {
    return this.inner.deleteRun(runId);
  }
  listRuns(query?: RunQuery) {
    return this.inner.listRuns(query);
  }
  close() {
    return this.inner.close();
  }
}

/** A promise and the function that resolves it. */
export function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

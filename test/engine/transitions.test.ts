import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/engine';
import {
  CHECKPOINT_FORMAT_VERSION,
  GraphMismatchError,
  InvalidInputError,
  RunFinishedError,
  answerRequest,
  cancelRun,
  failRun,
  forkRun,
  runSuperstep,
  startRun,
  workflow,
} from '../../src/engine';
import { T0, decoded, envAt, runAll, start, stateOf, step } from './harness';

const later = new Date(T0.getTime() + 3_600_000);

/** Counts to `input` by looping on itself, one increment per superstep, keeping the count in state. */
function parseCount(input: unknown): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 0) throw new InvalidInputError('input must be a whole number ≥ 0');
  return input;
}

function counter(version = '1', extraEdge = false) {
  let builder = workflow('counter', { version, parseInput: parseCount })
    .executor('count', (target: number, ctx) => {
      const count = (ctx.state.get<number>('count') ?? 0) + 1;
      ctx.state.set('count', count);
      if (count < target) ctx.send(target);
      else ctx.output(count);
    })
    .executor('spare', () => {})
    .start('count')
    .edge('count', 'count');
  if (extraEdge) builder = builder.edge('count', 'spare', { when: () => false });
  return builder.build();
}

describe('starting a run', () => {
  it('writes checkpoint 0 with the input queued for the start executor', () => {
    const wf = counter();
    const first = startRun(wf, { runId: 'r', input: 3, now: T0 });
    expect(first).toEqual({
      version: CHECKPOINT_FORMAT_VERSION,
      runId: 'r',
      step: 0,
      workflow: 'counter',
      workflowVersion: '1',
      graphHash: wf.graphHash,
      status: 'Pending',
      transition: 'start',
      createdAt: T0.toISOString(),
      runCreatedAt: T0.toISOString(),
      parent: null,
      messages: [{ source: null, target: 'count', kind: 'message', payload: 3 }],
      state: {},
      pendingRequests: [],
      timers: [],
      metrics: { durationMs: 0, bytes: 0 },
    });
  });

  it('refuses an input the workflow does not accept', () => {
    expect(() => startRun(counter(), { runId: 'r', input: 'three', now: T0 })).toThrow(new InvalidInputError('input must be a whole number ≥ 0'));
  });
});

describe('graph compatibility', () => {
  it('refuses to resume a checkpoint written by a different graph, naming both versions', async () => {
    const v1 = counter('1');
    const v2 = counter('2', true);
    const s1 = await step(v1, start(v1, 5));
    const expected = new RegExp(
      `checkpointed by counter version 1 \\(graph ${v1.graphHash}\\).*this app has counter version 2 \\(graph ${v2.graphHash}\\)`,
    );
    await expect(runSuperstep(v2, s1, envAt())).rejects.toThrow(GraphMismatchError);
    await expect(runSuperstep(v2, s1, envAt())).rejects.toThrow(expected);
    expect(() => forkRun(v2, s1, { runId: 'fork', now: T0 })).toThrow(expected);
    const mismatch = await runSuperstep(v2, s1, envAt()).catch((error: unknown) => error);
    expect(mismatch).toMatchObject({ code: 'GraphMismatch', name: 'GraphMismatchError' });
  });

  it('refuses an answer against a different graph too', async () => {
    const ask = (version: string, extra: boolean) => {
      let b = workflow('asker', { version }).executor('ask', (_: unknown, ctx) => void ctx.requestInput('q')).executor('other', () => {}).start('ask');
      if (extra) b = b.edge('ask', 'other');
      return b.build();
    };
    const s1 = await step(ask('1', false), start(ask('1', false), null));
    expect(() => answerRequest(ask('2', true), s1, { requestId: s1.pendingRequests[0]!.requestId, response: 'x', now: T0 })).toThrow(GraphMismatchError);
  });

  it('resumes with a new version whose graph is the same', async () => {
    const v1 = counter('1');
    const s1 = await step(v1, start(v1, 2));
    const done = (await runAll(counter('1.1'), s1)).at(-1)!;
    expect(done.status).toBe('Completed');
  });

  it('refuses a checkpoint of another workflow or another format version', async () => {
    const wf = counter();
    const other = workflow('other', { version: '1' }).executor('count', () => {}).start('count').build();
    const s0 = start(wf, 1);
    await expect(runSuperstep(other, s0, envAt())).rejects.toThrow("run 'run-1' belongs to workflow 'counter', not 'other'");
    const future = { ...s0, version: 99 } as unknown as Checkpoint;
    await expect(runSuperstep(wf, future, envAt())).rejects.toThrow(`has format version 99; this app reads version ${CHECKPOINT_FORMAT_VERSION}`);
  });
});

describe('fork', () => {
  it('from a middle checkpoint: a new run with the same state and messages that finishes the same way', async () => {
    const wf = counter();
    const original = await runAll(wf, start(wf, 5));
    const middle = original[2]!;
    const fork = forkRun(wf, middle, { runId: 'forked', now: later });
    expect(fork).toMatchObject({
      runId: 'forked',
      step: 0,
      status: 'Pending',
      transition: 'fork',
      createdAt: later.toISOString(),
      runCreatedAt: later.toISOString(),
      parent: { runId: 'run-1', step: 2 },
      messages: middle.messages,
      state: middle.state,
    });
    const forked = await runAll(wf, fork);
    expect(forked.at(-1)!.status).toBe('Completed');
    expect(decoded(forked.at(-1)!.output)).toEqual(decoded(original.at(-1)!.output));
    expect(forked).toHaveLength(original.length - 2);
    // The source run is untouched.
    expect(original[3]!.runId).toBe('run-1');
  });

  it('from a failed checkpoint: the failed delivery runs again, without its retry marks or the error', async () => {
    let failing = true;
    const wf = workflow('fragile', { version: '1' })
      .executor('work', {
        handle: (n: number, ctx) => {
          if (failing) throw new Error('broken for now');
          ctx.output(n * 2);
        },
        retry: { maxAttempts: 2, initialDelayMs: 1 },
      })
      .start('work')
      .build();
    const s1 = await step(wf, start(wf, 21));
    expect(s1.messages[0]).toMatchObject({ attempt: 1 });
    const failed = await step(wf, s1, envAt(later));
    expect(failed.status).toBe('Failed');
    const fork = forkRun(wf, failed, { runId: 'retry-run', now: later });
    expect(fork.status).toBe('Pending');
    expect(fork.error).toBeUndefined();
    expect(fork.wakeAt).toBeUndefined();
    expect(fork.messages).toEqual([{ source: null, target: 'work', kind: 'message', payload: 21 }]);
    failing = false;
    const done = await step(wf, fork, envAt(later));
    expect(done.status).toBe('Completed');
    expect(decoded(done.output)).toBe(42);
  });

  it('from a checkpoint with a retry in back-off: the fork may run it at once', async () => {
    const wf = workflow('backoff', { version: '1' })
      .executor('work', {
        handle: () => {
          throw new Error('x');
        },
        retry: { maxAttempts: 3, initialDelayMs: 60_000 },
      })
      .start('work')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1.wakeAt).toBeDefined();
    const fork = forkRun(wf, s1, { runId: 'now', now: T0 });
    expect(fork.wakeAt).toBeUndefined();
    expect(fork.messages[0]).toEqual({ source: null, target: 'work', kind: 'message', payload: null });
  });

  it('from a waiting checkpoint: the fork waits for the same request, and keeps its timers', async () => {
    const wf = workflow('fork-wait', { version: '1' })
      .executor('ask', {
        handle: (_: unknown, ctx) => {
          ctx.requestInput('q');
          ctx.sleep(60_000);
        },
        onResponse: (r: unknown, ctx) => ctx.output(r),
      })
      .start('ask')
      .build();
    const s1 = await step(wf, start(wf, null));
    const fork = forkRun(wf, s1, { runId: 'fork', now: T0 });
    expect(fork).toMatchObject({ status: 'Waiting', pendingRequests: s1.pendingRequests, timers: s1.timers, wakeAt: s1.wakeAt });
    const answered = answerRequest(wf, fork, { requestId: s1.pendingRequests[0]!.requestId, response: 'from the fork', now: T0 });
    expect(answered).toMatchObject({ runId: 'fork', step: 1 });
  });

  it('from a cancelled checkpoint: the queued work goes on in the new run', async () => {
    const wf = counter();
    const s1 = await step(wf, start(wf, 3));
    const cancelled = cancelRun(s1, { now: T0 });
    const forked = await runAll(wf, forkRun(wf, cancelled, { runId: 'again', now: T0 }));
    expect(forked.at(-1)!.status).toBe('Completed');
    expect(stateOf(forked.at(-1)!)).toEqual({ count: 3 });
  });
});

describe('cancel and fail', () => {
  it('cancel: a Cancelled successor that keeps what was queued, and nothing runs any more', async () => {
    const wf = counter();
    const s1 = await step(wf, start(wf, 5));
    const cancelled = cancelRun(s1, { reason: 'no longer needed', now: later });
    expect(cancelled).toMatchObject({
      step: 2,
      status: 'Cancelled',
      transition: 'cancel',
      parent: 1,
      createdAt: later.toISOString(),
      messages: s1.messages,
      state: s1.state,
      error: { code: 'Cancelled', message: 'no longer needed' },
    });
    expect(cancelRun(s1, { now: later }).error).toEqual({ code: 'Cancelled', message: 'cancelled by request' });
    expect(await runSuperstep(wf, cancelled, envAt(later))).toEqual({ kind: 'idle', status: 'Cancelled' });
    expect(() => cancelRun(cancelled, { now: later })).toThrow(new RunFinishedError('run-1', 'Cancelled'));
  });

  it('failRun records an error from outside the executors; a finished run cannot fail again', async () => {
    const wf = counter();
    const s1 = await step(wf, start(wf, 5));
    const failed = failRun(s1, { error: { code: 'Poisoned', message: 'the step message kept failing' }, now: later });
    expect(failed).toMatchObject({ step: 2, status: 'Failed', transition: 'fail', error: { code: 'Poisoned', message: 'the step message kept failing' } });
    expect(() => failRun(failed, { error: { message: 'again' }, now: later })).toThrow(RunFinishedError);
    const done = (await runAll(wf, start(wf, 1))).at(-1)!;
    expect(() => cancelRun(done, { now: later })).toThrow("run 'run-1' is already Completed");
  });
});

import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/engine';
import { runSuperstep, workflow } from '../../src/engine';
import { sequentialIds } from '../support/clock';
import { T0, decoded, envAt, runAll, start, stateOf, step } from './harness';

/** Rejects when `promise` has not settled by then: turns a deadlock into a failure instead of a hung test. */
function orDeadlock<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadlock = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadlock: ${what}`)), 10_000);
  });
  return Promise.race([promise, deadlock]).finally(() => clearTimeout(timer));
}

describe('superstep', () => {
  it('runs the executors of one superstep concurrently', async () => {
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const waitForTheOther = async (_: unknown, ctx: { output(v: unknown): void; executor: string }) => {
      if (++started === 2) release();
      await bothStarted;
      ctx.output(ctx.executor);
    };
    const wf = workflow('concurrent', { version: '1' })
      .executor('start', (_: unknown, ctx) => ctx.send('go'))
      .executor('left', waitForTheOther)
      .executor('right', waitForTheOther)
      .start('start')
      .fanOut('start', ['left', 'right'])
      .build();
    const s1 = await step(wf, start(wf, null));
    const s2 = await orDeadlock(step(wf, s1), 'the executors of one superstep ran one after the other');
    expect(started).toBe(2);
    expect(s2.step).toBe(2);
    expect(s2.status).toBe('Completed');
  });

  it('delivers the messages for one executor one after the other, in order', async () => {
    const log: string[] = [];
    const wf = workflow('sequential-deliveries', { version: '1' })
      .executor('start', (items: number[], ctx) => items.forEach((i) => ctx.send(i)))
      .executor('slow', async (i: number) => {
        log.push(`begin ${i}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${i}`);
      })
      .start('start')
      .edge('start', 'slow')
      .build();
    await runAll(wf, start(wf, [1, 2, 3]));
    expect(log).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2', 'begin 3', 'end 3']);
  });

  describe('shared state', () => {
    it('is staged: an executor reads the committed state plus its own writes, never another one’s from the same superstep', async () => {
      const reads: Record<string, unknown> = {};
      const wf = workflow('staged', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.state.set('shared', 'committed');
          ctx.send('go');
        })
        .executor('writer', (_: unknown, ctx) => {
          ctx.state.set('shared', 'from writer');
          ctx.state.set('mine', 1);
          reads.writerShared = ctx.state.get('shared');
          reads.writerMine = ctx.state.get('mine');
        })
        .executor('reader', async (_: unknown, ctx) => {
          await new Promise((resolve) => setImmediate(resolve)); // let the writer run first
          reads.readerShared = ctx.state.get('shared');
          reads.readerHasMine = ctx.state.has('mine');
        })
        .start('start')
        .fanOut('start', ['writer', 'reader'])
        .build();
      const s1 = await step(wf, start(wf, null));
      expect(stateOf(s1)).toEqual({ shared: 'committed' });
      const s2 = await step(wf, s1);
      expect(reads).toEqual({ writerShared: 'from writer', writerMine: 1, readerShared: 'committed', readerHasMine: false });
      expect(stateOf(s2)).toEqual({ shared: 'from writer', mine: 1 });
    });

    it('later deliveries to the same executor in one superstep read its earlier writes', async () => {
      const seen: unknown[] = [];
      const wf = workflow('own-writes', { version: '1' })
        .executor('start', (_: unknown, ctx) => [1, 2, 3].forEach((i) => ctx.send(i)))
        .executor('sum', (i: number, ctx) => {
          seen.push(ctx.state.get('total'));
          ctx.state.set('total', (ctx.state.get<number>('total') ?? 0) + i);
        })
        .start('start')
        .edge('start', 'sum')
        .build();
      const checkpoints = await runAll(wf, start(wf, null));
      expect(seen).toEqual([undefined, 1, 3]);
      expect(stateOf(checkpoints.at(-1)!)).toEqual({ total: 6 });
    });

    it('commits in executor definition order, so the last defined writer wins whatever finishes first', async () => {
      const wf = workflow('last-write-wins', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send('go'))
        .executor('first', async (_: unknown, ctx) => {
          for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
          ctx.state.set('key', 'first');
          ctx.state.set('onlyFirst', true);
        })
        .executor('second', (_: unknown, ctx) => {
          ctx.state.set('key', 'second');
          ctx.state.delete('onlyFirst');
        })
        .start('start')
        .fanOut('start', ['second', 'first'])
        .build();
      const s2 = await step(wf, await step(wf, start(wf, null)));
      expect(stateOf(s2)).toEqual({ key: 'second' });
    });

    it('deletes a key, and has() tells a deleted key from a set one', async () => {
      const seen: unknown[] = [];
      const wf = workflow('delete', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.state.set('a', 1);
          ctx.state.set('b', 2);
          ctx.send('go');
        })
        .executor('next', (_: unknown, ctx) => {
          ctx.state.delete('a');
          seen.push(ctx.state.has('a'), ctx.state.get('a'), ctx.state.has('b'), ctx.state.has('never'));
        })
        .start('start')
        .edge('start', 'next')
        .build();
      const checkpoints = await runAll(wf, start(wf, null));
      expect(seen).toEqual([false, undefined, true, false]);
      expect(stateOf(checkpoints.at(-1)!)).toEqual({ b: 2 });
    });

    it('keeps values the codec carries (Map, Date, BigInt) in state', async () => {
      const got: unknown[] = [];
      const wf = workflow('codec-state', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.state.set('value', { when: new Date(5), seen: new Set(['x']), big: 2n ** 70n });
          ctx.send('go');
        })
        .executor('next', (_: unknown, ctx) => void got.push(ctx.state.get('value')))
        .start('start')
        .edge('start', 'next')
        .build();
      await runAll(wf, start(wf, null));
      expect(got).toEqual([{ when: new Date(5), seen: new Set(['x']), big: 2n ** 70n }]);
    });

    it('refuses an empty state key', async () => {
      const wf = workflow('bad-key', { version: '1' })
        .executor('start', { handle: (_: unknown, ctx) => ctx.state.set('', 1), retry: { maxAttempts: 1 } })
        .start('start')
        .build();
      const s1 = await step(wf, start(wf, null));
      expect(s1.status).toBe('Failed');
      expect(s1.error?.message).toBe('state keys are non-empty strings');
    });

    it('an in-place change to a value read from state, without set(), changes neither the committed state nor what others read', async () => {
      const readByOther: unknown[] = [];
      const wf = workflow('in-place', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.state.set('list', [1, 2]);
          ctx.state.set('record', { n: 1 });
          ctx.send('go');
        })
        .executor('mutator', (_: unknown, ctx) => {
          ctx.state.get<number[]>('list')!.push(3);
          ctx.state.get<{ n: number }>('record')!.n = 99;
        })
        .executor('other', async (_: unknown, ctx) => {
          await new Promise((resolve) => setImmediate(resolve)); // after the mutator
          readByOther.push(ctx.state.get('list'), ctx.state.get('record'));
        })
        .start('start')
        .fanOut('start', ['mutator', 'other'])
        .build();
      const s1 = await step(wf, start(wf, null));
      const before = structuredClone(s1);
      const s2 = await step(wf, s1);
      expect(readByOther).toEqual([[1, 2], { n: 1 }]);
      expect(stateOf(s2)).toEqual({ list: [1, 2], record: { n: 1 } });
      expect(s1).toEqual(before);
    });

    it('an in-place change after set(), by a later delivery to the same executor, is not committed', async () => {
      const wf = workflow('in-place-own-write', { version: '1' })
        .executor('start', (_: unknown, ctx) => ['set', 'mutate'].forEach((m) => ctx.send(m)))
        .executor('worker', (m: string, ctx) => {
          if (m === 'set') ctx.state.set('list', [1]);
          else ctx.state.get<number[]>('list')!.push(2);
        })
        .start('start')
        .edge('start', 'worker')
        .build();
      const checkpoints = await runAll(wf, start(wf, null));
      expect(stateOf(checkpoints.at(-1)!)).toEqual({ list: [1] });
    });

    it('an in-place change to a received message does not reach the checkpoint it came from', async () => {
      const wf = workflow('mutate-message', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send({ items: [1] }))
        .executor('next', (m: { items: number[] }) => void m.items.push(2))
        .start('start')
        .edge('start', 'next')
        .build();
      const s1 = await step(wf, start(wf, null));
      const before = structuredClone(s1);
      await step(wf, s1);
      expect(s1).toEqual(before);
    });
  });

  describe('outputs', () => {
    it('the last value yielded is the run’s output; later supersteps without output keep it', async () => {
      const wf = workflow('outputs', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.output('one');
          ctx.output('two');
          ctx.send('go');
        })
        .executor('quiet', () => {})
        .start('start')
        .edge('start', 'quiet')
        .build();
      const [, s1, s2] = await runAll(wf, start(wf, null));
      expect(decoded(s1!.output)).toBe('two');
      expect(decoded(s2!.output)).toBe('two');
      expect(s2!.status).toBe('Completed');
    });

    it('among executors of one superstep, the last defined one’s output wins', async () => {
      const wf = workflow('outputs-order', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send('go'))
        .executor('early', async (_: unknown, ctx) => {
          await new Promise((resolve) => setImmediate(resolve));
          ctx.output('early');
        })
        .executor('late', (_: unknown, ctx) => ctx.output('late'))
        .start('start')
        .fanOut('start', ['late', 'early'])
        .build();
      const checkpoints = await runAll(wf, start(wf, null));
      expect(decoded(checkpoints.at(-1)!.output)).toBe('late');
    });

    it('an output of undefined is an output, not the absence of one', async () => {
      const wf = workflow('undefined-output', { version: '1' })
        .executor('start', (_: unknown, ctx) => {
          ctx.output('before');
          ctx.output(undefined);
        })
        .start('start')
        .build();
      const s1 = await step(wf, start(wf, null));
      expect(s1.output).toBeDefined();
      expect(decoded(s1.output)).toBeUndefined();
    });
  });

  describe('completion and bounds', () => {
    it('completes when no messages, requests or timers remain', async () => {
      const wf = workflow('done', { version: '1' }).executor('start', () => {}).start('start').build();
      const first = start(wf, null);
      expect(first.status).toBe('Pending');
      const s1 = await step(wf, first);
      expect(s1).toMatchObject({ step: 1, status: 'Completed', transition: 'superstep', messages: [], parent: 0 });
      expect(s1.wakeAt).toBeUndefined();
      expect(await runSuperstep(wf, s1, envAt())).toEqual({ kind: 'idle', status: 'Completed' });
    });

    it('fails a run that reaches maxSupersteps, with code MaxSuperstepsExceeded', async () => {
      const wf = workflow('loop', { version: '1', maxSupersteps: 5 })
        .executor('loop', (n: number, ctx) => ctx.send(n + 1))
        .start('loop')
        .edge('loop', 'loop')
        .build();
      const checkpoints = await runAll(wf, start(wf, 0));
      const last = checkpoints.at(-1)!;
      expect(last.step).toBe(5);
      expect(last.status).toBe('Failed');
      expect(last.error).toEqual({
        code: 'MaxSuperstepsExceeded',
        message: "run 'run-1' reached maxSupersteps (5) of workflow 'loop' without finishing",
      });
      expect(await runSuperstep(wf, last, envAt())).toEqual({ kind: 'idle', status: 'Failed' });
    });

    it('lets a run that finishes on its last allowed superstep complete', async () => {
      const wf = workflow('just-fits', { version: '1', maxSupersteps: 3 })
        .executor('loop', (n: number, ctx) => (n < 2 ? ctx.send(n + 1) : ctx.output(n)))
        .start('loop')
        .edge('loop', 'loop')
        .build();
      const last = (await runAll(wf, start(wf, 0))).at(-1)!;
      expect(last).toMatchObject({ step: 3, status: 'Completed' });
      expect(decoded(last.output)).toBe(2);
    });

    it('refuses a checkpoint holding a message for an executor the workflow lacks', async () => {
      const wf = workflow('w', { version: '1' }).executor('start', () => {}).start('start').build();
      const bad: Checkpoint = { ...start(wf, null), messages: [{ source: null, target: 'ghost', kind: 'message', payload: null }] };
      await expect(runSuperstep(wf, bad, envAt())).rejects.toThrow("checkpoint holds a message for unknown executor 'ghost'");
    });
  });

  describe('determinism', () => {
    it('the same checkpoint, time and id source give deep-equal successors', async () => {
      const wf = workflow('deterministic', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send('go'))
        .executor('a', async (_: unknown, ctx) => {
          ctx.state.set('a', ctx.now.toISOString());
          ctx.requestInput({ from: 'a' });
          await Promise.resolve();
          ctx.sleep(1_000, 'wake a');
          ctx.send('a says hi');
        })
        .executor('b', (_: unknown, ctx) => {
          ctx.state.set('b', [ctx.step, ctx.attempt]);
          ctx.requestInput({ from: 'b' });
          ctx.output({ b: true });
          ctx.send('b says hi');
        })
        .executor('sink', () => {})
        .start('start')
        .fanOut('start', ['a', 'b'])
        .edge('a', 'sink')
        .edge('b', 'sink')
        .build();
      const s1 = await step(wf, start(wf, null));
      const now = new Date(T0.getTime() + 60_000);
      const one = await runSuperstep(wf, s1, { now, newId: sequentialIds('x') });
      const two = await runSuperstep(wf, structuredClone(s1), { now, newId: sequentialIds('x') });
      expect(one.kind).toBe('advanced');
      expect(two).toEqual(one);
      expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    });
  });
});

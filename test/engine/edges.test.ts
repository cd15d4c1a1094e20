import { describe, expect, it } from 'vitest';
import type { ExecutorContext } from '../../src/engine';
import { workflow } from '../../src/engine';
import { decoded, queuedFor, runAll, start, step } from './harness';

/** Records what each executor received, in order, with the step it ran from. */
function recorder() {
  const seen: Array<{ executor: string; message: unknown; step: number }> = [];
  const record = (message: unknown, ctx: ExecutorContext) => void seen.push({ executor: ctx.executor, message, step: ctx.step });
  const of = (executor: string) => seen.filter((s) => s.executor === executor).map((s) => s.message);
  return { seen, record, of };
}

/** `src` sends each item of its input array, in order. */
const sendEach = (items: unknown[], ctx: ExecutorContext) => items.forEach((item) => ctx.send(item));

describe('edges', () => {
  it('direct: what the source sends in superstep n is delivered to the target in n + 1, in order', async () => {
    const r = recorder();
    const wf = workflow('direct', { version: '1' }).executor('src', sendEach).executor('dst', r.record).start('src').edge('src', 'dst').build();
    const s1 = await step(wf, start(wf, [1, 2, 3, 4, 5]));
    expect(r.seen).toEqual([]);
    expect(s1.messages.map((m) => [m.source, m.target, m.kind])).toEqual(Array(5).fill(['src', 'dst', 'message']));
    expect(queuedFor(s1, 'dst')).toEqual([1, 2, 3, 4, 5]);
    const s2 = await step(wf, s1);
    expect(r.seen).toEqual([1, 2, 3, 4, 5].map((message) => ({ executor: 'dst', message, step: 1 })));
    expect(s2.status).toBe('Completed');
  });

  it('conditional: each message goes only along the edges whose predicate accepts it; one no edge accepts goes nowhere', async () => {
    const r = recorder();
    const wf = workflow('conditional', { version: '1' })
      .executor('src', sendEach)
      .executor('even', r.record)
      .executor('odd', r.record)
      .start('src')
      .edge('src', 'even', { when: (n: number) => n % 2 === 0 })
      .edge('src', 'odd', { when: (n: number) => n % 2 === 1 })
      .build();
    const checkpoints = await runAll(wf, start(wf, [1, 2, 3, 4, 2.5]));
    expect(r.of('even')).toEqual([2, 4]);
    expect(r.of('odd')).toEqual([1, 3]);
    expect(checkpoints.at(-1)!.status).toBe('Completed');
  });

  it('fan-out: every target receives the message', async () => {
    const r = recorder();
    const wf = workflow('fan-out', { version: '1' })
      .executor('src', (m: string, ctx) => ctx.send(m))
      .executor('a', r.record)
      .executor('b', r.record)
      .executor('c', r.record)
      .start('src')
      .fanOut('src', ['a', 'b', 'c'])
      .build();
    const s1 = await step(wf, start(wf, 'hi'));
    expect(s1.messages.map((m) => m.target)).toEqual(['a', 'b', 'c']);
    await step(wf, s1);
    expect(r.seen.map((s) => [s.executor, s.message]).sort()).toEqual([
      ['a', 'hi'],
      ['b', 'hi'],
      ['c', 'hi'],
    ]);
  });

  it('fan-out with select: only the targets the function picks, in the edge order', async () => {
    const r = recorder();
    const selected: Array<[unknown, string[]]> = [];
    const wf = workflow('fan-out-select', { version: '1' })
      .executor('src', sendEach)
      .executor('a', r.record)
      .executor('b', r.record)
      .executor('c', r.record)
      .start('src')
      .fanOut('src', ['a', 'b', 'c'], {
        select: (m: { to: string[] }, targets) => {
          selected.push([m, targets]);
          return m.to;
        },
      })
      .build();
    const s1 = await step(wf, start(wf, [{ to: ['c', 'a'] }, { to: [] }, { to: ['b'] }]));
    expect(s1.messages.map((m) => m.target)).toEqual(['a', 'c', 'b']);
    expect(selected[0]![1]).toEqual(['a', 'b', 'c']);
    await step(wf, s1);
    expect(r.of('a')).toEqual([{ to: ['c', 'a'] }]);
    expect(r.of('b')).toEqual([{ to: ['b'] }]);
    expect(r.of('c')).toEqual([{ to: ['c', 'a'] }]);
  });

  it('fan-out with select: picking a target the edge does not have fails the run, naming it', async () => {
    const wf = workflow('fan-out-bad-select', { version: '1' })
      .executor('src', { handle: (m: string, ctx) => ctx.send(m), retry: { maxAttempts: 1 } })
      .executor('a', () => {})
      .start('src')
      .fanOut('src', ['a'], { select: () => ['zzz'] })
      .build();
    const s1 = await step(wf, start(wf, 'x'));
    expect(s1.status).toBe('Failed');
    expect(s1.error).toMatchObject({ executor: 'src', message: 'fan-out e0 selected zzz, not among its targets a' });
  });

  describe('switch', () => {
    function switchWorkflow(withDefault: boolean) {
      const r = recorder();
      const wf = workflow('switch', { version: '1' })
        .executor('src', sendEach)
        .executor('small', r.record)
        .executor('medium', r.record)
        .executor('other', r.record)
        .start('src')
        .switch(
          'src',
          [
            { when: (n: number) => n < 10, to: 'small' },
            { when: (n: number) => n < 100, to: 'medium' },
          ],
          withDefault ? { otherwise: 'other' } : {},
        )
        .build();
      return { r, wf };
    }

    it('sends each message to the first matching case, else to the default', async () => {
      const { r, wf } = switchWorkflow(true);
      await runAll(wf, start(wf, [5, 50, 500, 7]));
      expect(r.of('small')).toEqual([5, 7]);
      expect(r.of('medium')).toEqual([50]);
      expect(r.of('other')).toEqual([500]);
    });

    it('without a default drops a message no case matches', async () => {
      const { r, wf } = switchWorkflow(false);
      const s1 = await step(wf, start(wf, [500, 5]));
      expect(s1.messages.map((m) => m.target)).toEqual(['small']);
      await runAll(wf, s1);
      expect(r.of('small')).toEqual([5]);
      expect(r.of('other')).toEqual([]);
    });
  });

  describe('fan-in barrier', () => {
    /**
     * `start` sends to `a` and to `delay`, which relays to `b` one superstep later, so the sources
     * of the barrier send in different supersteps. `a` sends each item of its message.
     */
    function barrier() {
      const r = recorder();
      const wf = workflow('fan-in', { version: '1' })
        .executor('start', (input: { a: unknown[]; b: unknown[] }, ctx) => {
          ctx.send(input.a, 'a');
          ctx.send(input.b, 'delay');
        })
        .executor('delay', (m: unknown[], ctx) => ctx.send(m))
        .executor('a', sendEach)
        .executor('b', sendEach)
        .executor('join', r.record)
        .start('start')
        .edge('start', 'a')
        .edge('start', 'delay')
        .edge('delay', 'b')
        .fanIn(['a', 'b'], 'join')
        .build();
      return { r, wf };
    }

    it('releases the list once every source has sent, in source order, even when they send in different supersteps', async () => {
      const { r, wf } = barrier();
      const s1 = await step(wf, start(wf, { a: ['a1'], b: ['b1'] }));
      const s2 = await step(wf, s1); // a sends; delay relays
      expect(s2.fanIn).toEqual({ e3: { a: ['a1'] } });
      expect(queuedFor(s2, 'join')).toEqual([]);
      const s3 = await step(wf, s2); // b sends: the barrier releases
      expect(s3.fanIn).toBeUndefined();
      expect(s3.messages).toEqual([{ source: null, target: 'join', kind: 'message', payload: ['a1', 'b1'] }]);
      const s4 = await step(wf, s3);
      expect(r.of('join')).toEqual([['a1', 'b1']]);
      expect(s4.status).toBe('Completed');
    });

    it('keeps a second message from one source for the next release', async () => {
      const { r, wf } = barrier();
      const checkpoints = await runAll(wf, start(wf, { a: ['a1', 'a2'], b: ['b1', 'b2'] }));
      expect(checkpoints[2]!.fanIn).toEqual({ e3: { a: ['a1', 'a2'] } });
      expect(queuedFor(checkpoints[3]!, 'join')).toEqual([
        ['a1', 'b1'],
        ['a2', 'b2'],
      ]);
      expect(r.of('join')).toEqual([
        ['a1', 'b1'],
        ['a2', 'b2'],
      ]);
      expect(checkpoints.at(-1)!.status).toBe('Completed');
    });

    it('leaves an unmatched message in the buffer, and the run completes', async () => {
      const { r, wf } = barrier();
      const checkpoints = await runAll(wf, start(wf, { a: ['a1', 'a2'], b: ['b1'] }));
      expect(r.of('join')).toEqual([['a1', 'b1']]);
      expect(checkpoints.at(-1)!.fanIn).toEqual({ e3: { a: ['a2'] } });
      expect(checkpoints.at(-1)!.status).toBe('Completed');
    });

    it('carries values through the codec (a Date, a Map) in source order', async () => {
      const r = recorder();
      const wf = workflow('fan-in-codec', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send('go'))
        .executor('x', (_: unknown, ctx) => ctx.send(new Map([['k', 1n]])))
        .executor('y', (_: unknown, ctx) => ctx.send(new Date(0)))
        .executor('join', r.record)
        .start('start')
        .fanOut('start', ['y', 'x'])
        .fanIn(['y', 'x'], 'join')
        .build();
      await runAll(wf, start(wf, null));
      expect(r.of('join')).toEqual([[new Date(0), new Map([['k', 1n]])]]);
    });
  });

  describe('send(message, to)', () => {
    it('sends to that target alone, skipping predicates and selections', async () => {
      const r = recorder();
      const wf = workflow('send-to', { version: '1' })
        .executor('src', (m: string, ctx) => ctx.send(m, 'c'))
        .executor('b', r.record)
        .executor('c', r.record)
        .start('src')
        .edge('src', 'b')
        .edge('src', 'c', { when: () => false })
        .build();
      const s1 = await step(wf, start(wf, 'only-c'));
      expect(s1.messages.map((m) => m.target)).toEqual(['c']);
      await step(wf, s1);
      expect(r.of('c')).toEqual(['only-c']);
      expect(r.of('b')).toEqual([]);
    });

    it('to an executor it has no edge to fails the run at once, saying so', async () => {
      const wf = workflow('send-nowhere', { version: '1' })
        .executor('src', (m: string, ctx) => ctx.send(m, 'c'))
        .executor('b', () => {})
        .executor('c', () => {})
        .start('src')
        .edge('src', 'b')
        .build();
      const s1 = await step(wf, start(wf, 'x'));
      expect(s1.status).toBe('Failed');
      expect(s1.error).toEqual({ message: "executor 'src' has no edge to 'c'", name: 'NonRetryableError', executor: 'src', input: 'x', attempts: 1 });
      expect(s1.messages).toEqual([{ source: null, target: 'src', kind: 'message', payload: 'x' }]);
    });

    it('to a fan-in target buffers the message in that barrier', async () => {
      const r = recorder();
      const wf = workflow('send-to-barrier', { version: '1' })
        .executor('start', (_: unknown, ctx) => ctx.send('go'))
        .executor('x', (_: unknown, ctx) => ctx.send('from-x', 'join'))
        .executor('y', (_: unknown, ctx) => ctx.send('from-y', 'join'))
        .executor('join', r.record)
        .start('start')
        .fanOut('start', ['x', 'y'])
        .fanIn(['x', 'y'], 'join')
        .build();
      const checkpoints = await runAll(wf, start(wf, null));
      expect(r.of('join')).toEqual([['from-x', 'from-y']]);
      expect(decoded(checkpoints[2]!.messages[0]!.payload)).toEqual(['from-x', 'from-y']);
    });
  });
});

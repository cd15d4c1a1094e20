import { describe, expect, it } from 'vitest';
import type { Checkpoint, RetryPolicy } from '../../src/engine';
import { DEFAULT_RETRY_POLICY, NonRetryableError, isRetryable, retryDelayMs, runSuperstep, workflow } from '../../src/engine';
import { T0, decoded, envAt, start, stateOf, step } from './harness';

const at = (ms: number) => new Date(T0.getTime() + ms);

class QuotaError extends Error {
  override name = 'QuotaError';
  readonly code = 'QuotaExceeded';
}

/** `flaky` throws `failures` times on each message (then succeeds), with `error(n)` as what it throws. */
function flaky(failures: number, retry: Partial<RetryPolicy>, error: (attempt: number) => unknown = (n) => new Error(`failure ${n}`)) {
  const attempts: Array<{ attempt: number; message: unknown; now: string }> = [];
  const wf = workflow('flaky', { version: '1' })
    .executor('flaky', {
      handle: (message: { items: number[] }, ctx) => {
        attempts.push({ attempt: ctx.attempt, message: structuredClone(message), now: ctx.now.toISOString() });
        ctx.state.set('touched', true);
        ctx.send('should not be routed');
        if (ctx.attempt < failures) {
          message.items.push(999); // an in-place change before failing must not reach the retry
          throw error(ctx.attempt);
        }
        ctx.output(message);
      },
      retry,
    })
    .executor('sink', () => {})
    .start('flaky')
    .edge('flaky', 'sink')
    .build();
  return { wf, attempts };
}

/** Runs supersteps, each at the time the run asks to wake at (or now), until it stops running. */
async function runWithBackoff(wf: ReturnType<typeof flaky>['wf'], first: Checkpoint): Promise<Checkpoint[]> {
  const checkpoints = [first];
  let now = T0;
  for (let i = 0; i < 50; i++) {
    const last = checkpoints.at(-1)!;
    if (last.wakeAt) {
      expect(await runSuperstep(wf, last, envAt(new Date(Date.parse(last.wakeAt) - 1)))).toEqual({ kind: 'not-due', wakeAt: last.wakeAt });
      now = new Date(last.wakeAt);
    }
    const result = await runSuperstep(wf, last, envAt(now));
    if (result.kind !== 'advanced') return checkpoints;
    checkpoints.push(result.checkpoint);
  }
  throw new Error('the run did not stop');
}

describe('retry policy', () => {
  it('retries a failed delivery with back-off, then goes on', async () => {
    const { wf, attempts } = flaky(2, { maxAttempts: 3, initialDelayMs: 1_000, backoffFactor: 3, maxDelayMs: 60_000 });
    const first = start(wf, { items: [1] });
    const s1 = await step(wf, first);
    expect(s1).toMatchObject({ status: 'Running', attempt: 1, wakeAt: at(1_000).toISOString(), state: {} });
    expect(s1.messages).toEqual([{ source: null, target: 'flaky', kind: 'message', payload: { items: [1] }, attempt: 1, notBefore: at(1_000).toISOString() }]);
    const checkpoints = await runWithBackoff(wf, s1);
    expect(attempts).toEqual([
      { attempt: 0, message: { items: [1] }, now: T0.toISOString() },
      { attempt: 1, message: { items: [1] }, now: at(1_000).toISOString() },
      { attempt: 2, message: { items: [1] }, now: at(4_000).toISOString() },
    ]);
    const succeeded = checkpoints.find((c) => c.output !== undefined)!;
    expect(succeeded.attempt).toBeUndefined();
    expect(decoded(succeeded.output)).toEqual({ items: [1] });
    expect(stateOf(succeeded)).toEqual({ touched: true });
    expect(checkpoints.at(-1)!.status).toBe('Completed');
  });

  it('caps the back-off at maxDelayMs', () => {
    const policy: RetryPolicy = { maxAttempts: 10, initialDelayMs: 1_000, backoffFactor: 10, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([1_000, 5_000, 5_000, 5_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n))).toEqual([1_000, 2_000, 4_000]);
  });

  it('schedules each retry at the capped delay', async () => {
    const { wf, attempts } = flaky(3, { maxAttempts: 4, initialDelayMs: 1_000, backoffFactor: 10, maxDelayMs: 5_000 });
    await runWithBackoff(wf, start(wf, { items: [] }));
    expect(attempts.map((a) => a.now)).toEqual([T0, at(1_000), at(6_000), at(11_000)].map((d) => d.toISOString()));
  });

  it('fails the run once the attempts are exhausted, recording executor, input and error', async () => {
    const { wf, attempts } = flaky(5, { maxAttempts: 2, initialDelayMs: 10 }, () => new QuotaError('quota used up'));
    const checkpoints = await runWithBackoff(wf, start(wf, { items: [7] }));
    const last = checkpoints.at(-1)!;
    expect(attempts).toHaveLength(2);
    expect(last.status).toBe('Failed');
    expect(last.error).toEqual({ message: 'quota used up', name: 'QuotaError', executor: 'flaky', input: { items: [7] }, attempts: 2, code: 'QuotaExceeded' });
    expect(last.wakeAt).toBeUndefined();
    expect(last.messages).toEqual([{ source: null, target: 'flaky', kind: 'message', payload: { items: [7] } }]);
    expect(await runSuperstep(wf, last, envAt(at(3_600_000)))).toEqual({ kind: 'idle', status: 'Failed' });
  });

  it('records something that is not an Error as its text', async () => {
    const { wf } = flaky(1, { maxAttempts: 1 }, () => 'just a string');
    const s1 = await step(wf, start(wf, { items: [] }));
    expect(s1.error).toMatchObject({ message: 'just a string', name: 'Error', executor: 'flaky', attempts: 1 });
  });

  it('never retries a NonRetryableError', async () => {
    const { wf, attempts } = flaky(1, { maxAttempts: 5 }, () => new NonRetryableError('give up'));
    const s1 = await step(wf, start(wf, { items: [] }));
    expect(attempts).toHaveLength(1);
    expect(s1.status).toBe('Failed');
    expect(s1.error).toMatchObject({ name: 'NonRetryableError', message: 'give up', attempts: 1 });
  });

  it('never retries the error classes listed as non-retryable, and retries others', async () => {
    const listed = flaky(1, { maxAttempts: 5, nonRetryable: [QuotaError] }, () => new QuotaError('over quota'));
    expect((await step(listed.wf, start(listed.wf, { items: [] }))).status).toBe('Failed');
    const other = flaky(1, { maxAttempts: 5, nonRetryable: [QuotaError] }, () => new TypeError('transient'));
    expect((await step(other.wf, start(other.wf, { items: [] }))).status).toBe('Running');
  });

  it('never retries an error the non-retryable predicate accepts', async () => {
    const fatal = (error: unknown) => error instanceof Error && error.message.startsWith('fatal');
    const refused = flaky(1, { maxAttempts: 5, nonRetryable: fatal }, () => new Error('fatal: bad data'));
    expect((await step(refused.wf, start(refused.wf, { items: [] }))).status).toBe('Failed');
    const retried = flaky(1, { maxAttempts: 5, nonRetryable: fatal }, () => new Error('flaky network'));
    expect((await step(retried.wf, start(retried.wf, { items: [] }))).status).toBe('Running');
    expect(isRetryable({ ...DEFAULT_RETRY_POLICY, nonRetryable: () => false }, new NonRetryableError('x'))).toBe(false);
  });

  it('a failed delivery discards only its own effects; other executors’ effects are committed', async () => {
    const wf = workflow('partial-failure', { version: '1' })
      .executor('start', (_: unknown, ctx) => ctx.send('go'))
      .executor('fails', {
        handle: (_: unknown, ctx) => {
          ctx.state.set('fails', true);
          ctx.output('from fails');
          ctx.send('from fails');
          ctx.requestInput('from fails');
          ctx.sleep(1, 'from fails');
          throw new Error('no luck');
        },
        retry: { maxAttempts: 2, initialDelayMs: 500 },
      })
      .executor('works', (_: unknown, ctx) => {
        ctx.state.set('works', true);
        ctx.output('from works');
        ctx.send('from works');
      })
      .executor('sink', () => {})
      .start('start')
      .fanOut('start', ['fails', 'works'])
      .edge('fails', 'sink')
      .edge('works', 'sink')
      .build();
    const s2 = await step(wf, await step(wf, start(wf, null)));
    expect(s2.status).toBe('Running');
    expect(stateOf(s2)).toEqual({ works: true });
    expect(decoded(s2.output)).toBe('from works');
    expect(s2.pendingRequests).toEqual([]);
    expect(s2.timers).toEqual([]);
    expect(s2.messages.map((m) => [m.source, m.target, m.payload, m.attempt ?? 0])).toEqual([
      ['start', 'fails', 'go', 1],
      ['works', 'sink', 'from works', 0],
    ]);
    expect(s2.attempt).toBe(1);
    // The sink message runs now; the retry waits for its back-off.
    expect(s2.wakeAt).toBeUndefined();
    const s3 = await step(wf, s2, envAt(at(100)));
    expect(s3.messages).toEqual([s2.messages[0]]);
    expect(s3.wakeAt).toBe(at(500).toISOString());
    // Exhausted: the run fails, and what the others did in that superstep is still committed.
    const s4 = await step(wf, s3, envAt(at(500)));
    expect(s4.status).toBe('Failed');
    expect(s4.error).toMatchObject({ executor: 'fails', message: 'no luck', attempts: 2 });
    expect(stateOf(s4)).toEqual({ works: true });
  });

  it('an effect the codec cannot carry fails that delivery, saying what and where', async () => {
    const wf = workflow('uncarriable', { version: '1' })
      .executor('start', { handle: (_: unknown, ctx) => ctx.send({ callback: () => 1 }), retry: { maxAttempts: 1 } })
      .executor('sink', () => {})
      .start('start')
      .edge('start', 'sink')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1.status).toBe('Failed');
    expect(s1.error).toMatchObject({ executor: 'start', name: 'CodecError' });
    expect(s1.error?.message).toMatch(/callback/);
    expect(s1.error?.message).toMatch(/function/);
  });

  it('among several deliveries to one executor, the failing one does not undo the others', async () => {
    const wf = workflow('one-of-three', { version: '1' })
      .executor('start', (_: unknown, ctx) => [1, 2, 3].forEach((i) => ctx.send(i)))
      .executor('add', {
        handle: (i: number, ctx) => {
          ctx.state.set('sum', (ctx.state.get<number>('sum') ?? 0) + i);
          if (i === 2) throw new Error('two is bad');
        },
        retry: { maxAttempts: 1 },
      })
      .start('start')
      .edge('start', 'add')
      .build();
    const s2 = await step(wf, await step(wf, start(wf, null)));
    expect(s2.status).toBe('Failed');
    expect(s2.error).toMatchObject({ executor: 'add', input: 2, message: 'two is bad' });
    expect(stateOf(s2)).toEqual({ sum: 4 });
  });
});

import { describe, expect, it } from 'vitest';
import type { Checkpoint, ExecutorContext, ResponseInfo } from '../../src/engine';
import {
  InvalidInputError,
  RunFinishedError,
  UnknownRequestError,
  answerRequest,
  canAdvance,
  cancelRun,
  decodeValue,
  runSuperstep,
  workflow,
} from '../../src/engine';
import { T0, decoded, envAt, runAll, start, step } from './harness';

const at = (ms: number) => new Date(T0.getTime() + ms);

function answer(wf: Parameters<typeof answerRequest>[0], checkpoint: Checkpoint, requestId: string, response: unknown, now = T0): Checkpoint {
  return answerRequest(wf, checkpoint, { requestId, response, now });
}

describe('human in the loop', () => {
  function askWorkflow(options: { parseResponse?: (response: unknown, request: any) => unknown; withOnResponse?: boolean } = {}) {
    const responses: Array<{ response: unknown; info?: ResponseInfo; via: string }> = [];
    const wf = workflow('ask', { version: '1' })
      .executor('ask', {
        handle: (message: unknown, ctx: ExecutorContext) => {
          if (ctx.attempt === 0 && typeof message === 'object' && message !== null && 'question' in message) ctx.requestInput(message);
          else {
            responses.push({ response: message, via: 'handle' });
            ctx.output(message);
          }
        },
        ...(options.withOnResponse === false
          ? {}
          : {
              onResponse: (response: unknown, ctx: ExecutorContext, info: ResponseInfo) => {
                responses.push({ response, info, via: 'onResponse' });
                ctx.output(response);
              },
            }),
        ...(options.parseResponse ? { parseResponse: options.parseResponse } : {}),
      })
      .start('ask')
      .build();
    return { wf, responses };
  }

  it('requestInput leaves the run Waiting with the pending request', async () => {
    const { wf } = askWorkflow();
    const s1 = await step(wf, start(wf, { question: 'ok?', when: new Date(7) }), envAt(T0, () => 'req-1'));
    expect(s1.status).toBe('Waiting');
    expect(s1.pendingRequests).toEqual([{ requestId: 'req-1', executor: 'ask', request: expect.anything(), createdAt: T0.toISOString() }]);
    expect(decodeValue(s1.pendingRequests[0]!.request)).toEqual({ question: 'ok?', when: new Date(7) });
    expect(s1.wakeAt).toBeUndefined();
    expect(canAdvance(s1)).toBe(false);
    expect(await runSuperstep(wf, s1, envAt(at(10_000)))).toEqual({ kind: 'idle', status: 'Waiting' });
  });

  it('an answer is delivered to onResponse with the request, and the run goes on', async () => {
    const { wf, responses } = askWorkflow();
    const s1 = await step(wf, start(wf, { question: 'ok?' }), envAt(T0, () => 'req-1'));
    const s2 = answer(wf, s1, 'req-1', { yes: true }, at(5));
    expect(s2).toMatchObject({ step: 2, status: 'Running', transition: 'response', pendingRequests: [], parent: 1 });
    expect(s2.messages).toEqual([
      { source: null, target: 'ask', kind: 'response', ref: 'req-1', request: s1.pendingRequests[0]!.request, payload: { yes: true } },
    ]);
    const s3 = await step(wf, s2);
    expect(responses).toEqual([{ response: { yes: true }, info: { requestId: 'req-1', request: { question: 'ok?' } }, via: 'onResponse' }]);
    expect(s3.status).toBe('Completed');
    expect(decoded(s3.output)).toEqual({ yes: true });
  });

  it('without onResponse the answer goes to handle', async () => {
    const { wf, responses } = askWorkflow({ withOnResponse: false });
    const s1 = await step(wf, start(wf, { question: 'ok?' }), envAt(T0, () => 'req-1'));
    await step(wf, answer(wf, s1, 'req-1', 'plain answer'));
    expect(responses).toEqual([{ response: 'plain answer', via: 'handle' }]);
  });

  it('answering an unknown or already answered request is an UnknownRequestError', async () => {
    const { wf } = askWorkflow();
    const s1 = await step(wf, start(wf, { question: 'ok?' }), envAt(T0, () => 'req-1'));
    const unknown = (() => {
      try {
        answer(wf, s1, 'nope', {});
      } catch (error) {
        return error;
      }
    })();
    expect(unknown).toBeInstanceOf(UnknownRequestError);
    expect(unknown).toMatchObject({ code: 'UnknownRequest', runId: 'run-1', requestId: 'nope', message: "run 'run-1' has no pending request 'nope' (unknown or already answered)" });
    const s2 = answer(wf, s1, 'req-1', {});
    expect(() => answer(wf, s2, 'req-1', {})).toThrow(UnknownRequestError);
  });

  it('answering a finished run is a RunFinishedError', async () => {
    const { wf } = askWorkflow();
    const s1 = await step(wf, start(wf, { question: 'ok?' }), envAt(T0, () => 'req-1'));
    const cancelled = cancelRun(s1, { now: T0 });
    expect(cancelled.pendingRequests).toHaveLength(1);
    expect(() => answer(wf, cancelled, 'req-1', {})).toThrow(RunFinishedError);
    expect(() => answer(wf, cancelled, 'req-1', {})).toThrow("run 'run-1' is already Cancelled");
    const done = await step(wf, answer(wf, s1, 'req-1', 'fine'));
    expect(done.status).toBe('Completed');
    expect(() => answer(wf, done, 'req-1', {})).toThrow(RunFinishedError);
  });

  it('parseResponse checks the answer against the request: it can refuse or normalize it', async () => {
    const seenRequests: unknown[] = [];
    const { wf, responses } = askWorkflow({
      parseResponse: (response, request) => {
        seenRequests.push(request);
        if (response === 'boom') throw new Error('not an answer at all');
        if (typeof response !== 'string') throw new InvalidInputError('the answer must be a string');
        return response.toUpperCase();
      },
    });
    const s1 = await step(wf, start(wf, { question: 'ok?' }), envAt(T0, () => 'req-1'));
    expect(() => answer(wf, s1, 'req-1', 42)).toThrow(new InvalidInputError('the answer must be a string'));
    const wrapped = (() => {
      try {
        answer(wf, s1, 'req-1', 'boom');
      } catch (error) {
        return error as InvalidInputError;
      }
    })();
    expect(wrapped).toBeInstanceOf(InvalidInputError);
    expect(wrapped?.message).toBe('not an answer at all');
    expect(seenRequests[0]).toEqual({ question: 'ok?' });
    const s3 = await step(wf, answer(wf, s1, 'req-1', 'yes'));
    expect(responses.map((r) => r.response)).toEqual(['YES']);
    expect(s3.status).toBe('Completed');
  });

  it('cancelRequest withdraws a pending request', async () => {
    const wf = workflow('withdraw', { version: '1' })
      .executor('ask', (_: unknown, ctx) => {
        const keep = ctx.requestInput('keep');
        const drop = ctx.requestInput('drop');
        ctx.cancelRequest(drop);
        ctx.state.set('keep', keep);
      })
      .start('ask')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1.pendingRequests.map((r) => decodeValue(r.request))).toEqual(['keep']);
    expect(s1.status).toBe('Waiting');
  });

  it('with two requests pending, answering one leaves the other', async () => {
    const wf = workflow('two-asks', { version: '1' })
      .executor('ask', {
        handle: (_: unknown, ctx) => {
          ctx.requestInput('first');
          ctx.requestInput('second');
        },
        onResponse: (response: unknown, ctx) => ctx.output(response),
      })
      .start('ask')
      .build();
    const s1 = await step(wf, start(wf, null));
    const [first, second] = s1.pendingRequests;
    const s2 = answer(wf, s1, second!.requestId, 'two');
    expect(s2.status).toBe('Running');
    const s3 = await step(wf, s2);
    expect(s3.status).toBe('Waiting');
    expect(s3.pendingRequests).toEqual([first]);
    const s5 = await step(wf, answer(wf, s3, first!.requestId, 'one'));
    expect(s5.status).toBe('Completed');
    expect(decoded(s5.output)).toBe('one');
  });
});

describe('durable sleep', () => {
  function sleeper(options: { onTimer?: boolean; ms?: number } = {}) {
    const woke: Array<{ payload: unknown; timerId?: string; now: string; via: string }> = [];
    const wf = workflow('sleeper', { version: '1' })
      .executor('nap', {
        handle: (message: unknown, ctx) => {
          if (message === 'start') ctx.state.set('timer', ctx.sleep(options.ms ?? 60_000, { note: 'wake up' }));
          else {
            woke.push({ payload: message, now: ctx.now.toISOString(), via: 'handle' });
            ctx.output('awake');
          }
        },
        ...(options.onTimer === false
          ? {}
          : {
              onTimer: (payload: unknown, ctx: ExecutorContext, timerId: string) => {
                woke.push({ payload, timerId, now: ctx.now.toISOString(), via: 'onTimer' });
                ctx.output('awake');
              },
            }),
      })
      .start('nap')
      .build();
    return { wf, woke };
  }

  it('records a timer and wakes the run only once it is due', async () => {
    const { wf, woke } = sleeper();
    const s1 = await step(wf, start(wf, 'start'), envAt(T0, () => 'timer-1'));
    const wakeAt = at(60_000).toISOString();
    expect(s1).toMatchObject({ status: 'Running', wakeAt, timers: [{ timerId: 'timer-1', executor: 'nap', wakeAt, payload: { note: 'wake up' } }] });
    expect(canAdvance(s1)).toBe(true);
    expect(await runSuperstep(wf, s1, envAt(at(59_999)))).toEqual({ kind: 'not-due', wakeAt });
    expect(woke).toEqual([]);
    const s2 = await step(wf, s1, envAt(at(60_000)));
    expect(woke).toEqual([{ payload: { note: 'wake up' }, timerId: 'timer-1', now: wakeAt, via: 'onTimer' }]);
    expect(s2).toMatchObject({ status: 'Completed', timers: [] });
    expect(s2.wakeAt).toBeUndefined();
  });

  it('without onTimer the payload goes to handle', async () => {
    const { wf, woke } = sleeper({ onTimer: false });
    const s1 = await step(wf, start(wf, 'start'));
    await step(wf, s1, envAt(at(61_000)));
    expect(woke).toEqual([{ payload: { note: 'wake up' }, now: at(61_000).toISOString(), via: 'handle' }]);
  });

  it('a sleep of 0 is due in the next superstep', async () => {
    const { wf, woke } = sleeper({ ms: 0 });
    const checkpoints = await runAll(wf, start(wf, 'start'));
    expect(checkpoints.map((c) => c.status)).toEqual(['Pending', 'Running', 'Completed']);
    expect(woke).toHaveLength(1);
  });

  it('cancelTimer removes a timer, and a run with nothing else left completes', async () => {
    const wf = workflow('cancel-timer', { version: '1' })
      .executor('nap', (_: unknown, ctx) => {
        const keep = ctx.sleep(1_000, 'keep');
        ctx.cancelTimer(ctx.sleep(500, 'drop'));
        ctx.cancelTimer(keep);
      })
      .start('nap')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1).toMatchObject({ status: 'Completed', timers: [] });
  });

  it('a later superstep can cancel a timer set earlier', async () => {
    const wf = workflow('cancel-later', { version: '1' })
      .executor('nap', {
        handle: (message: string, ctx) => {
          if (message === 'start') {
            ctx.state.set('timer', ctx.sleep(60_000, 'late'));
            ctx.send('cancel it');
          } else ctx.cancelTimer(ctx.state.get<string>('timer')!);
        },
        onTimer: () => {
          throw new Error('a cancelled timer was delivered');
        },
      })
      .start('nap')
      .edge('nap', 'nap')
      .build();
    const checkpoints = await runAll(wf, start(wf, 'start'), envAt(at(120_000)));
    expect(checkpoints.at(-1)).toMatchObject({ step: 2, status: 'Completed', timers: [] });
  });

  it('a timer cancelled by an earlier delivery in the same superstep is not delivered', async () => {
    const delivered: string[] = [];
    const wf = workflow('cancel-same-step', { version: '1' })
      .executor('ask', {
        handle: (_: unknown, ctx) => {
          ctx.requestInput('answer before the timeout');
          ctx.state.set('timer', ctx.sleep(1_000, 'timeout'));
        },
        onResponse: (_response: unknown, ctx) => {
          delivered.push('response');
          ctx.cancelTimer(ctx.state.get<string>('timer')!);
        },
        onTimer: () => void delivered.push('timer'),
      })
      .start('ask')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1).toMatchObject({ status: 'Waiting', wakeAt: at(1_000).toISOString() });
    // The answer arrives after the timeout, before any superstep delivered the timer: both are due at once.
    const s2 = answerRequest(wf, s1, { requestId: s1.pendingRequests[0]!.requestId, response: 'yes', now: at(2_000) });
    const s3 = await step(wf, s2, envAt(at(2_000)));
    expect(delivered).toEqual(['response']);
    expect(s3).toMatchObject({ status: 'Completed', timers: [] });
  });

  it('a request with a timer leaves the run Waiting, with the timer as its wake-up time', async () => {
    const wf = workflow('ask-with-timeout', { version: '1' })
      .executor('ask', {
        handle: (_: unknown, ctx) => {
          ctx.requestInput('q');
          ctx.sleep(5_000);
        },
        onTimer: (_payload: unknown, ctx) => ctx.output('timed out'),
      })
      .start('ask')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1).toMatchObject({ status: 'Waiting', wakeAt: at(5_000).toISOString() });
    expect(canAdvance(s1)).toBe(true);
    expect(await runSuperstep(wf, s1, envAt(at(1_000)))).toEqual({ kind: 'not-due', wakeAt: at(5_000).toISOString() });
    const s2 = await step(wf, s1, envAt(at(5_000)));
    expect(s2.status).toBe('Waiting'); // the request is still pending
    expect(s2.wakeAt).toBeUndefined();
    expect(decoded(s2.output)).toBe('timed out');
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses sleep(%s), failing the run with what is wrong', async (ms) => {
    const wf = workflow('bad-sleep', { version: '1' })
      .executor('nap', { handle: (_: unknown, ctx) => void ctx.sleep(ms), retry: { maxAttempts: 1 } })
      .start('nap')
      .build();
    const s1 = await step(wf, start(wf, null));
    expect(s1.status).toBe('Failed');
    expect(s1.error).toMatchObject({ name: 'RangeError', message: `ctx.sleep needs a finite number of milliseconds ≥ 0, got ${ms}` });
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import { GraphMismatchError, workflow, type Checkpoint } from '../../src/engine';
import { shippedWorkflows } from '../../src/workflows';
import { asRunProblem } from '../../src/runtime';
import { createTestRuntime, drain, latestOf, runToCompletion } from '../support/runtime';

describe('failures that retrying cannot fix, and poison messages that come late', () => {
  it('fails the run at once when an executor sends a value the codec cannot carry', async () => {
    const sendsFunction = workflow('sends-function', { version: '1' })
      .executor('a', { handle: (_: unknown, ctx) => ctx.send(() => 1), retry: { maxAttempts: 5 } })
      .executor('b', () => {})
      .start('a')
      .edge('a', 'b')
      .build();
    const t = createTestRuntime({ workflows: [sendsFunction] });
    const last = await runToCompletion(t, 'sends-function', null, 'codec-1');
    expect(last.status).toBe('Failed');
    expect(last.error).toMatchObject({ executor: 'a', attempts: 1, name: 'CodecError' });
  });

  it('maps a graph mismatch to a conflict the caller can read', () => {
    const problem = asRunProblem(new GraphMismatchError('run x was checkpointed by v1'));
    expect(problem).toMatchObject({ kind: 'conflict', code: 'GraphMismatch', message: 'run x was checkpointed by v1' });
  });

  it('ignores a poisoned message for a step the run has already left behind', async () => {
    const waits = workflow('waits', { version: '1' })
      .executor('ask', { handle: (_: unknown, ctx) => void ctx.requestInput('ok?'), onResponse: (answer: unknown, ctx) => ctx.output(answer) })
      .start('ask')
      .build();
    const t = createTestRuntime({ workflows: [waits] });
    await t.runtime.start({ workflow: 'waits', input: null, runId: 'late-poison' });
    await drain(t);
    const waiting = await latestOf(t.store, 'late-poison');
    expect(waiting.status).toBe('Waiting');
    expect(await t.runtime.recordPoisoned({ runId: 'late-poison', step: 0 }, 'old trouble')).toBe(false);
    expect((await latestOf(t.store, 'late-poison')).status).toBe('Waiting');
    expect(await t.runtime.recordPoisoned({ runId: 'late-poison', step: waiting.step }, 'current trouble')).toBe(true);
    expect(await latestOf(t.store, 'late-poison')).toMatchObject({ status: 'Failed', error: { code: 'Poisoned', message: 'current trouble' } });
  });
});

describe('request charges', () => {
  it('adds every read and every save but the last to the run total the status shows', async () => {
    class ChargingStore extends MemoryCheckpointStore {
      override async save(checkpoint: Checkpoint) {
        return { ...(await super.save(checkpoint)), requestCharge: 5 };
      }
      override async load(runId: string, step: number, options?: { onCharge?: (charge: number) => void }) {
        options?.onCharge?.(1);
        return super.load(runId, step);
      }
    }
    const t = createTestRuntime({ store: new ChargingStore(), workflows: shippedWorkflows() });
    const last = await runToCompletion(t, 'factor-pairs', 8, 'charged');
    // checkpoints 0..2: two supersteps, each reading its parent (1) and carrying the parent's save (5)
    expect(last.step).toBe(2);
    expect(last.metrics).toMatchObject({ requestCharge: 6, runRequestCharge: 12 });
    expect((await t.runtime.status('charged')).requestCharge).toBe(12);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/engine';
import { RunProblem } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';
import { CANDIDATES_PER_SUPERSTEP, MAX_FACTOR_INPUT } from '../../src/workflows/factor-pairs';
import type { TestRuntime } from '../support/runtime';
import { createTestRuntime, outputOf, runToCompletion } from '../support/runtime';
import type { StoreFixture } from './stores';
import { EMBEDDED_STORES } from './stores';

/** The pairs the slow, obvious way. */
function directPairs(n: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let a = 1; a * a <= n; a++) if (n % a === 0) pairs.push([a, n / a]);
  return pairs;
}

describe.each(EMBEDDED_STORES)('factor-pairs over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;

  beforeEach(async () => {
    fixture = await makeStore();
    t = createTestRuntime({ store: fixture.store, workflows: shippedWorkflows() });
  });
  afterEach(() => fixture.cleanup());

  it.each([
    [8, [[1, 8], [2, 4]]],
    [1, [[1, 1]]],
    [97, [[1, 97]]],
    [36, [[1, 36], [2, 18], [3, 12], [4, 9], [6, 6]]],
  ])('%i → %j', async (n, pairs) => {
    const last = await runToCompletion(t, 'factor-pairs', n);
    expect(last.status).toBe('Completed');
    expect(outputOf(last)).toEqual(pairs);
  });

  it('10^12 takes at least 10 supersteps of at most 100,000 candidates each, and is right', async () => {
    const n = 10 ** 12;
    const last = await runToCompletion(t, 'factor-pairs', n, 'trillion');
    const pairs = outputOf(last) as Array<[number, number]>;
    const expected = directPairs(n);
    expect(expected).toHaveLength(85); // 10^12 = 2^12·5^12 has 13·13 = 169 divisors, one of them 10^6
    expect(pairs).toEqual(expected);
    expect(pairs.every(([a, b]) => a <= b && a * b === n)).toBe(true);

    const steps = await t.store.listIds('trillion');
    expect(steps).toEqual(Array.from({ length: last.step + 1 }, (_, i) => i));
    const workerSteps = [];
    for (const step of steps) {
      const checkpoint = await t.store.load('trillion', step);
      const search = checkpoint.messages.find((m) => m.target === 'worker');
      if (search) workerSteps.push(decodeValue(search.payload) as { next: number; last: number });
    }
    expect(workerSteps.length).toBeGreaterThanOrEqual(10);
    expect(workerSteps.map((s) => s.next)).toEqual(workerSteps.map((_, i) => 1 + i * CANDIDATES_PER_SUPERSTEP));
    expect(workerSteps.every((s) => s.last === 1_000_000)).toBe(true);
  });

  it('999999999989, a prime near 10^12, has only [1, n]', async () => {
    const n = 999_999_999_989;
    expect(directPairs(n)).toEqual([[1, n]]);
    const last = await runToCompletion(t, 'factor-pairs', n);
    expect(outputOf(last)).toEqual([[1, n]]);
  });

  it('the largest input, 10^12 itself, is accepted and one more is not', async () => {
    expect(MAX_FACTOR_INPUT).toBe(10 ** 12);
    await expect(t.runtime.start({ workflow: 'factor-pairs', input: MAX_FACTOR_INPUT })).resolves.toMatchObject({ status: 'Pending' });
  });

  it.each([
    [0, /got 0$/],
    [-1, /got -1$/],
    [1.5, /got 1.5$/],
    ['8', /got the string "8"$/],
    [10 ** 12 + 1, /got 1000000000001$/],
    [null, /got null$/],
    [Number.NaN, /got NaN$/],
    [Number.POSITIVE_INFINITY, /got Infinity$/],
    [[8], /got an array$/],
    [{ n: 8 }, /got an object$/],
    [true, /got a boolean$/],
    [undefined, /got no input$/],
  ])('refuses %j as a RunProblem of kind invalid, saying what is wrong', async (input, detail) => {
    const problem = await t.runtime.start({ workflow: 'factor-pairs', input }).catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(RunProblem);
    expect(problem).toMatchObject({ kind: 'invalid', code: 'InvalidInput' });
    expect((problem as RunProblem).message).toMatch(/^input must be a whole number from 1 to 1000000000000, got /);
    expect((problem as RunProblem).message).toMatch(detail);
    expect(t.queue.size).toBe(0);
    expect((await t.store.listRuns()).items).toEqual([]);
  });
});

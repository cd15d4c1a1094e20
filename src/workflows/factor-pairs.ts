import { InvalidInputError, workflow } from '../engine';

export const MAX_FACTOR_INPUT = 1_000_000_000_000;
/** How many candidate divisors the worker checks in one superstep. */
export const CANDIDATES_PER_SUPERSTEP = 100_000;

interface Search {
  n: number;
  /** Next candidate divisor to check. */
  next: number;
  /** Last candidate: ⌊√n⌋. */
  last: number;
  pairs: Array<[number, number]>;
}

function parseFactorInput(input: unknown): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 1 || input > MAX_FACTOR_INPUT) {
    throw new InvalidInputError(`input must be a whole number from 1 to ${MAX_FACTOR_INPUT}, got ${describe(input)}`);
  }
  return input;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (value === null) return 'null';
  if (value === undefined) return 'no input';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The pairs [a, b] with a ≤ b and a·b = n, ascending by a (8 → [[1,8],[2,4]]). */
export const factorPairs = workflow<number>('factor-pairs', {
  version: '1',
  description: `Factor pairs of a whole number up to 10^12, checking ${CANDIDATES_PER_SUPERSTEP} candidates per superstep.`,
  maxSupersteps: 100,
  parseInput: parseFactorInput,
})
  .executor('start', (n: number, ctx) => {
    const search: Search = { n, next: 1, last: Math.floor(Math.sqrt(n)), pairs: [] };
    ctx.send(search);
  })
  .executor('worker', (search: Search, ctx) => {
    const { n, last } = search;
    const end = Math.min(last, search.next + CANDIDATES_PER_SUPERSTEP - 1);
    const pairs = [...search.pairs];
    for (let a = search.next; a <= end; a++) {
      if (n % a === 0) pairs.push([a, n / a]);
    }
    if (end < last) ctx.send({ n, next: end + 1, last, pairs });
    else ctx.output(pairs);
  })
  .start('start')
  .edge('start', 'worker')
  .edge('worker', 'worker')
  .build();

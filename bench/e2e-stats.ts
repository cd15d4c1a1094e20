/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface Spread {
  p50: number;
  p95: number;
  mean: number;
  count: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    mean: values.reduce((sum, v) => sum + v, 0) / values.length,
    count: values.length,
  };
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in input order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Distinct inputs of factor-pairs near its limit of 10^12: 12 checkpoints each (start, start executor, 10 workers). */
export function factorPairsInputs(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 999_999_999_999 - 2 * i);
}

/** Checkpoints a factor-pairs run writes: the start, the start executor, one per 100,000 candidates. */
export function factorPairsCheckpoints(n: number): number {
  return 2 + Math.ceil(Math.floor(Math.sqrt(n)) / 100_000);
}

/** The pairs [a, b] with a ≤ b and a·b = n, ascending by a: what a factor-pairs run must output. */
export function factorPairsOf(n: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let a = 1; a * a <= n; a++) if (n % a === 0) pairs.push([a, n / a]);
  return pairs;
}

/** What one run of a counter (ours or LangGraph's) measured. */
export interface CounterRun {
  supersteps: number;
  totalMs: number;
  /** Wall time of each superstep, in order. */
  stepMs: number[];
  latestCheckpointBytes: number;
  /** Heap used after a forced GC, the run's checkpoints still held (only when asked and GC is exposed). */
  heapUsedBytes?: number;
  /** The same minus the heap used before the run. */
  heapRetainedBytes?: number;
}

/** Durations between consecutive timestamps, the first measured from `start`. */
export function stepDurations(start: number, timestamps: readonly number[]): number[] {
  return timestamps.map((t, i) => t - (i === 0 ? start : timestamps[i - 1]!));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Time of the last 10% of steps over the first 10%: above 1, later steps cost more. With `mean`
 * (the default) a GC pause counts in full; with `median` a typical step of each tenth is compared.
 */
export function tailGrowth(stepMs: readonly number[], average: 'mean' | 'median' = 'mean'): number {
  const tenth = Math.max(1, Math.floor(stepMs.length / 10));
  const of = average === 'mean' ? mean : median;
  return of(stepMs.slice(-tenth)) / of(stepMs.slice(0, tenth));
}

/** Heap used after a full GC, or undefined when node runs without --expose-gc. */
export function heapUsedAfterGc(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Collects garbage (when GC is exposed) so a timed run does not pay for the previous run's. */
export function collectGarbage(): void {
  heapUsedAfterGc();
}

import { runOurCounter } from './counter';
import { LANGGRAPH_BYTES_COUNTED, runLangGraphCounter } from './langgraph-counter';
import type { CounterRun } from './measure';
import { collectGarbage, heapUsedAfterGc, median, tailGrowth } from './measure';
import { formatMegabytes, formatNumber, formatTable } from './table';

const SIZES = [100, 1_000, 10_000];
const REPEATS = 3;
/** Large enough for the optimizing compiler to have compiled the hot paths of both sides. */
const WARM_UP_SIZE = 1_000;

export const COUNTER_GOALS = {
  minSpeedup: 10,
  maxBytesRatio: 1,
  maxTailGrowth: 1.2,
};

interface SideFigures {
  msPerStep: number;
  latestCheckpointBytes: number;
  /** Total time of the last 10% of steps over that of the first 10% (GC pauses included). */
  lastTenthOverFirstTenth: number;
  /** The same with the median step of each tenth, which a single GC pause does not move. */
  lastTenthOverFirstTenthMedian: number;
  runsMsPerStep: number[];
}

interface CounterRow {
  n: number;
  ours: SideFigures;
  langgraph: SideFigures;
  /** LangGraph ms per step ÷ ours. */
  speedup: number;
}

interface HeapFigures {
  heapUsedBytes: number;
  /** Heap used minus what it was before the run: mostly the store's checkpoints. */
  heapRetainedBytes: number;
}

export interface CounterResults {
  description: string;
  repeats: number;
  bytesCounted: { ours: string; langgraph: string };
  goals: typeof COUNTER_GOALS;
  rows: CounterRow[];
  heapAfterLargestRun: { n: number; ours: HeapFigures; langgraph: HeapFigures } | { n: number; skipped: string };
}

type Runner = (n: number, options?: { measureHeap?: boolean }) => Promise<CounterRun>;

/**
 * Self-loop counter, ours (real runtime, memory store) against LangGraph JS (StateGraph with
 * MemorySaver): both warmed up once, then each size run REPEATS times, alternating, each run
 * starting after a GC, medians kept.
 */
export async function benchCounter(): Promise<CounterResults> {
  await runOurCounter(WARM_UP_SIZE);
  await runLangGraphCounter(WARM_UP_SIZE);
  const gcExposed = heapUsedAfterGc() !== undefined;
  const largest = SIZES[SIZES.length - 1]!;

  const rows: CounterRow[] = [];
  let heap: CounterResults['heapAfterLargestRun'] = { n: largest, skipped: 'node was started without --expose-gc' };
  for (const n of SIZES) {
    const ours: CounterRun[] = [];
    const langgraph: CounterRun[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const measureHeap = gcExposed && n === largest && i === REPEATS - 1;
      ours.push(await checked('ours', n, runOurCounter, measureHeap));
      langgraph.push(await checked('LangGraph', n, runLangGraphCounter, measureHeap));
    }
    const row = { n, ours: summarize(n, ours), langgraph: summarize(n, langgraph), speedup: 0 };
    row.speedup = row.langgraph.msPerStep / row.ours.msPerStep;
    rows.push(row);
    const lastOurs = ours.at(-1)!;
    const lastTheirs = langgraph.at(-1)!;
    if (lastOurs.heapUsedBytes !== undefined && lastTheirs.heapUsedBytes !== undefined) {
      heap = { n, ours: heapFigures(lastOurs), langgraph: heapFigures(lastTheirs) };
    }
  }

  const results: CounterResults = {
    description: 'one executor/node that increments state { count } and loops to itself until N; memory checkpointing; each run starts after a GC; medians of the repeats',
    repeats: REPEATS,
    bytesCounted: {
      ours: 'ours bytes = UTF-8 bytes of JSON.stringify(latest checkpoint document), as the memory store measures a save',
      langgraph: LANGGRAPH_BYTES_COUNTED,
    },
    goals: COUNTER_GOALS,
    rows,
    heapAfterLargestRun: heap,
  };
  console.log(renderCounter(results));
  return results;
}

async function checked(side: string, n: number, run: Runner, measureHeap: boolean): Promise<CounterRun> {
  if (!measureHeap) collectGarbage();
  const result = await run(n, { measureHeap });
  if (result.supersteps !== n) throw new Error(`${side} ran ${result.supersteps} supersteps for N = ${n}`);
  return result;
}

function summarize(n: number, runs: CounterRun[]): SideFigures {
  const runsMsPerStep = runs.map((r) => r.totalMs / n);
  return {
    msPerStep: median(runsMsPerStep),
    latestCheckpointBytes: median(runs.map((r) => r.latestCheckpointBytes)),
    lastTenthOverFirstTenth: median(runs.map((r) => tailGrowth(r.stepMs))),
    lastTenthOverFirstTenthMedian: median(runs.map((r) => tailGrowth(r.stepMs, 'median'))),
    runsMsPerStep,
  };
}

function heapFigures(run: CounterRun): HeapFigures {
  return { heapUsedBytes: run.heapUsedBytes!, heapRetainedBytes: run.heapRetainedBytes! };
}

function renderCounter(results: CounterResults): string {
  const headers = ['N', 'ours ms/step', 'LangGraph ms/step', 'ratio (LG/ours)', 'ours bytes', 'LangGraph bytes', 'ours last10/first10', 'LangGraph last10/first10'];
  const rows = results.rows.map((r) => [
    r.n,
    r.ours.msPerStep,
    r.langgraph.msPerStep,
    r.speedup,
    r.ours.latestCheckpointBytes,
    r.langgraph.latestCheckpointBytes,
    r.ours.lastTenthOverFirstTenth,
    r.langgraph.lastTenthOverFirstTenth,
  ]);
  const { goals } = results;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const perN = (check: (r: CounterRow) => string) => results.rows.map((r) => `N=${formatNumber(r.n)} ${check(r)}`).join(', ');
  return [
    `Self-loop counter: ${results.description} (${results.repeats} runs per N, after a warm-up of N=${formatNumber(WARM_UP_SIZE)})`,
    '',
    formatTable(headers, rows),
    '',
    `Bytes: ${results.bytesCounted.ours}.`,
    `       ${results.bytesCounted.langgraph}.`,
    'last10/first10: time of the last 10% of supersteps over the first 10%, GC pauses included (ours: per queue message handled; LangGraph: per streamed update).',
    `  with the median step of each tenth instead: ${results.rows.map((r) => `N=${formatNumber(r.n)} ours ${r.ours.lastTenthOverFirstTenthMedian.toFixed(2)}, LangGraph ${r.langgraph.lastTenthOverFirstTenthMedian.toFixed(2)}`).join('; ')}.`,
    describeHeap(results.heapAfterLargestRun),
    '',
    'Goals (reported, not asserted):',
    `  ours >= ${goals.minSpeedup}x faster per superstep:  ${perN((r) => `${r.speedup.toFixed(1)}x ${mark(r.speedup >= goals.minSpeedup)}`)}`,
    `  our checkpoint <= LangGraph's:        ${perN((r) => `${r.ours.latestCheckpointBytes} vs ${r.langgraph.latestCheckpointBytes} B ${mark(r.ours.latestCheckpointBytes <= r.langgraph.latestCheckpointBytes * goals.maxBytesRatio)}`)}`,
    `  ours last10/first10 <= ${goals.maxTailGrowth}:          ${perN((r) => `${r.ours.lastTenthOverFirstTenth.toFixed(2)} ${mark(r.ours.lastTenthOverFirstTenth <= goals.maxTailGrowth)}`)}`,
  ].join('\n');
}

function describeHeap(heap: CounterResults['heapAfterLargestRun']): string {
  const n = formatNumber(heap.n);
  if ('skipped' in heap) return `Heap after N=${n}: skipped (${heap.skipped}).`;
  const side = (figures: HeapFigures) => `${formatMegabytes(figures.heapUsedBytes)} (+${formatMegabytes(figures.heapRetainedBytes)} over before the run)`;
  return `Heap used after N=${n}, after GC, that run's checkpoints still held: ours ${side(heap.ours)}, LangGraph ${side(heap.langgraph)}.`;
}

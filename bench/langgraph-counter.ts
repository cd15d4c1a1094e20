import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import type { CounterRun } from './measure';
import { heapUsedAfterGc, stepDurations } from './measure';

const CounterState = Annotation.Root({ count: Annotation<number>() });

/** The same loop in LangGraph JS: one node increments `count`, a conditional edge loops until `n`. */
function counterGraph(n: number, saver: MemorySaver) {
  return new StateGraph(CounterState)
    .addNode('increment', (state) => ({ count: state.count + 1 }))
    .addEdge(START, 'increment')
    .addConditionalEdges('increment', (state) => (state.count < n ? 'increment' : END))
    .compile({ checkpointer: saver });
}

let threadCounter = 0;

/** Streams the graph with `streamMode: 'updates'`, one chunk per node run, timestamped as it arrives. */
export async function runLangGraphCounter(n: number, options: { measureHeap?: boolean } = {}): Promise<CounterRun> {
  const heapBefore = options.measureHeap ? heapUsedAfterGc() : undefined;
  const saver = new MemorySaver();
  const graph = counterGraph(n, saver);
  const threadId = `counter-${n}-${++threadCounter}`;
  const chunkAt: number[] = [];

  const started = performance.now();
  const stream = await graph.stream({ count: 0 }, { configurable: { thread_id: threadId }, recursionLimit: n + 10, streamMode: 'updates' });
  for await (const _chunk of stream) chunkAt.push(performance.now());
  const totalMs = performance.now() - started;

  const heapAfter = options.measureHeap ? heapUsedAfterGc() : undefined;
  const state = await graph.getState({ configurable: { thread_id: threadId } });
  if (state.values.count !== n || state.next.length !== 0) {
    throw new Error(`LangGraph counter did not finish at ${n}: count ${JSON.stringify(state.values.count)}, next ${JSON.stringify(state.next)}`);
  }
  return {
    supersteps: chunkAt.length,
    totalMs,
    stepMs: stepDurations(started, chunkAt),
    latestCheckpointBytes: storedBytesOfLatest(saver, threadId),
    ...(heapAfter !== undefined ? { heapUsedBytes: heapAfter, heapRetainedBytes: heapAfter - heapBefore! } : {}),
  };
}

export const LANGGRAPH_BYTES_COUNTED =
  "LangGraph bytes = what MemorySaver stores for the thread's latest checkpoint: its serialized checkpoint and metadata (Uint8Arrays from its serde), " +
  'the parent checkpoint id beside them, and the pending writes of that checkpoint (serialized values, task ids, channels, task paths); storage keys not counted';

/** Sums what MemorySaver keeps for the thread's newest checkpoint, exactly as its serde produced it. */
function storedBytesOfLatest(saver: MemorySaver, threadId: string): number {
  const checkpoints = saver.storage[threadId]?.[''];
  if (!checkpoints) throw new Error(`MemorySaver holds no checkpoints for thread '${threadId}'`);
  const latestId = Object.keys(checkpoints).sort().at(-1)!;
  const writes = Object.values(saver.writes[JSON.stringify([threadId, '', latestId])] ?? {});
  return [checkpoints[latestId]!, ...writes].reduce((sum, tuple) => sum + tupleBytes(tuple), 0);
}

function tupleBytes(tuple: ReadonlyArray<Uint8Array | string | undefined>): number {
  let bytes = 0;
  for (const part of tuple) {
    if (part instanceof Uint8Array) bytes += part.byteLength;
    else if (typeof part === 'string') bytes += Buffer.byteLength(part);
  }
  return bytes;
}

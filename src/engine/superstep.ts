import type { Checkpoint, PendingRequest, PendingTimer, QueuedMessage, RunError, RunStatus } from './checkpoint';
import { isTerminal } from './checkpoint';
import { decodeValue, encodeValue } from './codec';
import type { StagedEffects, StateWrite } from './context';
import { createContext, emptyEffects } from './context';
import { NonRetryableError } from './errors';
import type { Json } from './json';
import { assertCompatible, deriveStatus, deriveWakeAt, successor } from './lifecycle';
import { isRetryable, retryDelayMs } from './retry';
import type { Route } from './routing';
import { reachableTargets, route } from './routing';
import type { Executor, Workflow } from './workflow';

/** What the engine may not take from the world: the superstep's time and a source of fresh ids. */
export interface StepEnvironment {
  now: Date;
  newId: () => string;
}

export type SuperstepResult =
  | { kind: 'advanced'; checkpoint: Checkpoint }
  /** Nothing is due yet (a timer, a retry back-off); try again at `wakeAt`. */
  | { kind: 'not-due'; wakeAt: string }
  /** The run is finished, or waits for an answer with nothing due. */
  | { kind: 'idle'; status: RunStatus };

/** One delivery's outcome, with its effects already encoded so merging cannot fail. */
type Outcome =
  | { ok: true; delivery: QueuedMessage; effects: EncodedEffects }
  | { ok: false; delivery: QueuedMessage; error: unknown };

interface EncodedEffects {
  routed: Array<{ route: Route; payload: Json }>;
  output?: Json;
  stateWrites: Array<{ key: string; value?: Json }>;
  requests: PendingRequest[];
  cancelledRequests: string[];
  timers: PendingTimer[];
  cancelledTimers: string[];
}

/**
 * Runs superstep n → n + 1: every executor with deliveries runs, concurrently; what they send is
 * delivered in the next superstep; their state writes are committed in executor order, so the
 * last write wins deterministically. Pure but for the executors' own code.
 */
export async function runSuperstep(workflow: Workflow, checkpoint: Checkpoint, env: StepEnvironment): Promise<SuperstepResult> {
  assertCompatible(workflow, checkpoint);
  if (isTerminal(checkpoint.status)) return { kind: 'idle', status: checkpoint.status };
  const nowMs = env.now.getTime();
  const isDue = (at?: string) => !at || Date.parse(at) <= nowMs;

  const deliveries = checkpoint.messages.filter((m) => isDue(m.notBefore));
  const deferred = checkpoint.messages.filter((m) => !isDue(m.notBefore));
  const dueTimers = checkpoint.timers.filter((t) => isDue(t.wakeAt));
  const timers = checkpoint.timers.filter((t) => !isDue(t.wakeAt));
  for (const timer of dueTimers) {
    deliveries.push({ source: null, target: timer.executor, kind: 'timer', payload: timer.payload, ref: timer.timerId });
  }
  if (deliveries.length === 0) {
    const wakeAt = deriveWakeAt(deferred, timers, env.now);
    return wakeAt ? { kind: 'not-due', wakeAt } : { kind: 'idle', status: checkpoint.status };
  }

  const byExecutor = new Map<string, QueuedMessage[]>();
  for (const name of workflow.executors.keys()) byExecutor.set(name, []);
  for (const delivery of deliveries) {
    const queue = byExecutor.get(delivery.target);
    if (!queue) throw new NonRetryableError(`checkpoint holds a message for unknown executor '${delivery.target}'`);
    queue.push(delivery);
  }
  const groups = [...byExecutor].filter(([, queue]) => queue.length > 0);
  const outcomes = await Promise.all(
    groups.map(([name, queue]) => runExecutor(workflow, workflow.executors.get(name)!, queue, checkpoint, env)),
  );

  const state: Record<string, Json> = { ...checkpoint.state };
  const fanIn = cloneFanIn(checkpoint.fanIn ?? {});
  const messages: QueuedMessage[] = [...deferred];
  const routedMessages: QueuedMessage[] = [];
  let pendingRequests = [...checkpoint.pendingRequests];
  let pendingTimers = [...timers];
  let output = checkpoint.output;
  let failure: RunError | undefined;

  for (const outcome of outcomes.flat()) {
    const executor = workflow.executors.get(outcome.delivery.target)!;
    if (!outcome.ok) {
      const attempts = (outcome.delivery.attempt ?? 0) + 1;
      if (isRetryable(executor.retry, outcome.error) && attempts < executor.retry.maxAttempts) {
        const notBefore = new Date(nowMs + retryDelayMs(executor.retry, attempts)).toISOString();
        messages.push({ ...outcome.delivery, attempt: attempts, notBefore });
      } else {
        failure ??= describeFailure(executor.name, outcome.delivery, outcome.error, attempts);
        messages.push(withoutRetryMarks(outcome.delivery));
      }
      continue;
    }
    const { effects } = outcome;
    for (const write of effects.stateWrites) {
      if (write.value === undefined) delete state[write.key];
      else state[write.key] = write.value;
    }
    for (const { route: r, payload } of effects.routed) {
      if (r.kind === 'deliver') {
        routedMessages.push({ source: executor.name, target: r.target, kind: 'message', payload });
      } else {
        routedMessages.push(...bufferFanIn(workflow, fanIn, r, payload));
      }
    }
    if (effects.output !== undefined) output = effects.output;
    const cancelledRequests = new Set(effects.cancelledRequests);
    pendingRequests = [...pendingRequests, ...effects.requests].filter((r) => !cancelledRequests.has(r.requestId));
    const cancelledTimers = new Set(effects.cancelledTimers);
    pendingTimers = [...pendingTimers, ...effects.timers].filter((t) => !cancelledTimers.has(t.timerId));
  }
  messages.push(...routedMessages);

  const step = checkpoint.step + 1;
  let status = deriveStatus(messages, pendingRequests, pendingTimers);
  if (failure) {
    status = 'Failed';
  } else if (step >= workflow.maxSupersteps && status !== 'Completed') {
    status = 'Failed';
    failure = {
      code: 'MaxSuperstepsExceeded',
      message: `run '${checkpoint.runId}' reached maxSupersteps (${workflow.maxSupersteps}) of workflow '${workflow.name}' without finishing`,
    };
  }
  const wakeAt = status === 'Failed' ? undefined : deriveWakeAt(messages, pendingTimers, env.now);
  return {
    kind: 'advanced',
    checkpoint: successor(checkpoint, 'superstep', env.now, {
      status,
      messages,
      state,
      fanIn,
      pendingRequests,
      timers: pendingTimers,
      attempt: messages.reduce((max, m) => Math.max(max, m.attempt ?? 0), 0),
      ...(output !== undefined ? { output } : {}),
      ...(failure ? { error: failure } : {}),
      ...(wakeAt ? { wakeAt } : {}),
    }),
  };
}

async function runExecutor(workflow: Workflow, executor: Executor, queue: QueuedMessage[], checkpoint: Checkpoint, env: StepEnvironment): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const ownWrites = new Map<string, StateWrite>();
  const targets = reachableTargets(workflow, executor.name);
  const { registry } = workflow;
  const cancelledTimers = new Set<string>();
  for (const delivery of queue) {
    // A timer this executor cancelled while handling an earlier delivery (say, an answer that beat
    // its timeout) is due in this same superstep: cancelled means it is never delivered.
    if (delivery.kind === 'timer' && delivery.ref !== undefined && cancelledTimers.has(delivery.ref)) continue;
    const effects = emptyEffects();
    const ctx = createContext(
      {
        runId: checkpoint.runId,
        step: checkpoint.step,
        executor: executor.name,
        now: env.now,
        attempt: delivery.attempt ?? 0,
        readCommitted: (key) => (Object.hasOwn(checkpoint.state, key) ? decodeDetached(checkpoint.state[key]!, registry) : undefined),
        hasCommitted: (key) => Object.hasOwn(checkpoint.state, key),
        ownWrites,
        targets,
        newId: env.newId,
      },
      effects,
    );
    try {
      await invoke(executor, delivery, ctx, registry);
      const encoded = encodeEffects(workflow, executor.name, effects, env.now);
      for (const write of effects.stateWrites) ownWrites.set(write.key, write);
      for (const timerId of effects.cancelledTimers) cancelledTimers.add(timerId);
      outcomes.push({ ok: true, delivery, effects: encoded });
    } catch (error) {
      outcomes.push({ ok: false, delivery, error });
    }
  }
  return outcomes;
}

async function invoke(executor: Executor, delivery: QueuedMessage, ctx: ReturnType<typeof createContext>, registry: Workflow['registry']): Promise<void> {
  const { definition } = executor;
  const payload = decodeDetached(delivery.payload, registry);
  if (delivery.kind === 'response' && definition.onResponse) {
    const request = delivery.request === undefined ? undefined : decodeDetached(delivery.request, registry);
    await definition.onResponse(payload, ctx, { requestId: delivery.ref ?? '', request });
  } else if (delivery.kind === 'timer' && definition.onTimer) {
    await definition.onTimer(payload, ctx, delivery.ref ?? '');
  } else {
    await definition.handle(payload, ctx);
  }
}

function encodeEffects(workflow: Workflow, source: string, effects: StagedEffects, now: Date): EncodedEffects {
  const { registry } = workflow;
  const encode = (value: unknown) => structuredClone(encodeValue(value, registry));
  const routed: EncodedEffects['routed'] = [];
  for (const send of effects.sends) {
    const payload = encode(send.message);
    for (const r of route(workflow, source, send.message, send.to)) routed.push({ route: r, payload });
  }
  const lastOutput = effects.outputs.length > 0 ? effects.outputs[effects.outputs.length - 1] : undefined;
  return {
    routed,
    ...(effects.outputs.length > 0 ? { output: encode(lastOutput) } : {}),
    stateWrites: effects.stateWrites.map((w) => (w.deleted ? { key: w.key } : { key: w.key, value: encode(w.value) })),
    requests: effects.requests.map((r) => ({ requestId: r.requestId, executor: source, request: encode(r.request), createdAt: now.toISOString() })),
    cancelledRequests: effects.cancelledRequests,
    timers: effects.timers.map((t) => ({
      timerId: t.timerId,
      executor: source,
      wakeAt: new Date(now.getTime() + t.delayMs).toISOString(),
      payload: encode(t.payload ?? null),
    })),
    cancelledTimers: effects.cancelledTimers,
  };
}

/** Adds one message to a barrier; when every source has one waiting, releases the list in source order. */
function bufferFanIn(workflow: Workflow, fanIn: FanIn, r: Extract<Route, { kind: 'buffer' }>, payload: Json): QueuedMessage[] {
  const edge = workflow.edges.find((e) => e.id === r.edgeId);
  if (!edge || edge.kind !== 'fan-in') return [];
  const buffers = (fanIn[edge.id] ??= {});
  (buffers[r.source] ??= []).push(payload);
  if (!edge.from.every((source) => (buffers[source]?.length ?? 0) > 0)) return [];
  // An array of encoded values is the encoding of the array of those values.
  const list: Json[] = edge.from.map((source) => buffers[source]!.shift()!);
  for (const source of edge.from) if (buffers[source]!.length === 0) delete buffers[source];
  if (Object.keys(buffers).length === 0) delete fanIn[edge.id];
  return [{ source: null, target: edge.to, kind: 'message', payload: list }];
}

/**
 * The codec shares every untagged subtree between its input and its result. Executors get values
 * decoded from a copy, and their effects are copied once encoded, so nothing an executor does to
 * an object it holds can change a checkpoint (the one it read or the one being built) unstaged.
 */
function decodeDetached(json: Json, registry: Workflow['registry']): unknown {
  return decodeValue(structuredClone(json), registry);
}

type FanIn = NonNullable<Checkpoint['fanIn']>;

function cloneFanIn(fanIn: FanIn): FanIn {
  const copy: FanIn = {};
  for (const [edgeId, buffers] of Object.entries(fanIn)) {
    copy[edgeId] = {};
    for (const [source, payloads] of Object.entries(buffers)) copy[edgeId]![source] = [...payloads];
  }
  return copy;
}

function withoutRetryMarks(delivery: QueuedMessage): QueuedMessage {
  const { attempt: _attempt, notBefore: _notBefore, ...rest } = delivery;
  return rest;
}

function describeFailure(executor: string, delivery: QueuedMessage, error: unknown, attempts: number): RunError {
  const err = error instanceof Error ? error : new Error(String(error));
  const code: unknown = (err as Error & { code?: unknown }).code;
  return {
    message: err.message,
    name: err.name,
    executor,
    input: delivery.payload,
    attempts,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

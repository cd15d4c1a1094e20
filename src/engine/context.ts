import { NonRetryableError } from './errors';

/** What an executor's handler can do. Every effect is staged and applied at the superstep boundary. */
export interface ExecutorContext {
  readonly runId: string;
  /** The step of the checkpoint this superstep started from. */
  readonly step: number;
  readonly executor: string;
  /** The superstep's time, the same for every executor in it. */
  readonly now: Date;
  /** 0 on the first delivery of this message; n on its n-th retry. */
  readonly attempt: number;
  /** Sends along this executor's outgoing edges, or to `to` alone (which needs an edge to it). */
  send(message: unknown, to?: string): void;
  /** Yields a value of the run; the last one is the run's `output`. */
  output(value: unknown): void;
  readonly state: StateView;
  /** Asks a human (or another system) for input; the run waits until it is answered. Returns the request id. */
  requestInput(request: unknown): string;
  cancelRequest(requestId: string): void;
  /** A durable timer: after `ms`, this executor receives `payload` (its `onTimer`, else `handle`). Returns the timer id. */
  sleep(ms: number, payload?: unknown): string;
  cancelTimer(timerId: string): void;
}

/** Shared state: reads see what was committed before this superstep plus this executor's own writes. */
export interface StateView {
  get<T = unknown>(key: string): T | undefined;
  has(key: string): boolean;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export type StateWrite = { key: string; value: unknown; deleted: boolean };

/** The effects one delivery staged; applied only when its handler returned without throwing. */
export interface StagedEffects {
  sends: Array<{ message: unknown; to?: string }>;
  outputs: unknown[];
  stateWrites: StateWrite[];
  requests: Array<{ requestId: string; request: unknown }>;
  cancelledRequests: string[];
  timers: Array<{ timerId: string; delayMs: number; payload: unknown }>;
  cancelledTimers: string[];
}

export function emptyEffects(): StagedEffects {
  return { sends: [], outputs: [], stateWrites: [], requests: [], cancelledRequests: [], timers: [], cancelledTimers: [] };
}

export interface ContextSeed {
  runId: string;
  step: number;
  executor: string;
  now: Date;
  attempt: number;
  /** Reads a committed value, freshly decoded, so in-place changes never reach the store unstaged. */
  readCommitted: (key: string) => unknown;
  hasCommitted: (key: string) => boolean;
  /** Executors this one has an edge to; `send(message, to)` accepts only these. */
  targets: ReadonlySet<string>;
  /** This executor's writes from earlier deliveries in the same superstep. */
  ownWrites: Map<string, StateWrite>;
  newId: () => string;
}

export function createContext(seed: ContextSeed, effects: StagedEffects): ExecutorContext {
  const writes = new Map(seed.ownWrites);
  const lookup = (key: string): StateWrite | undefined => writes.get(key);
  const stage = (write: StateWrite): void => {
    writes.set(write.key, write);
    effects.stateWrites.push(write);
  };
  const state: StateView = {
    get: <T>(key: string) => {
      const write = lookup(key);
      if (write) return (write.deleted ? undefined : write.value) as T | undefined;
      return seed.readCommitted(key) as T | undefined;
    },
    has: (key) => {
      const write = lookup(key);
      return write ? !write.deleted : seed.hasCommitted(key);
    },
    set: (key, value) => stage({ key: checkKey(key), value, deleted: false }),
    delete: (key) => stage({ key: checkKey(key), value: undefined, deleted: true }),
  };
  return {
    runId: seed.runId,
    step: seed.step,
    executor: seed.executor,
    now: seed.now,
    attempt: seed.attempt,
    state,
    send: (message, to) => {
      if (to !== undefined && !seed.targets.has(to)) {
        throw new NonRetryableError(`executor '${seed.executor}' has no edge to '${to}'`);
      }
      effects.sends.push(to === undefined ? { message } : { message, to });
    },
    output: (value) => void effects.outputs.push(value),
    requestInput: (request) => {
      const requestId = seed.newId();
      effects.requests.push({ requestId, request });
      return requestId;
    },
    cancelRequest: (requestId) => void effects.cancelledRequests.push(requestId),
    sleep: (ms, payload) => {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ctx.sleep needs a finite number of milliseconds ≥ 0, got ${ms}`);
      const timerId = seed.newId();
      effects.timers.push({ timerId, delayMs: ms, payload });
      return timerId;
    },
    cancelTimer: (timerId) => void effects.cancelledTimers.push(timerId),
  };
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('state keys are non-empty strings');
  return key;
}

import type { ExecutorContext } from './context';
import type { RetryPolicy } from './retry';
import type { TypeRegistry } from './codec';

export type Handler<M = any> = (message: M, ctx: ExecutorContext) => void | Promise<void>;

export interface ResponseInfo<R = unknown> {
  requestId: string;
  /** The request payload the executor passed to `ctx.requestInput`. */
  request: R;
}

export interface ExecutorDefinition<M = any> {
  /** Receives every message sent to this executor (and responses and timers without their own handler). */
  handle: Handler<M>;
  /** Receives the answer to a request this executor made with `ctx.requestInput`. */
  onResponse?: (response: any, ctx: ExecutorContext, info: ResponseInfo<any>) => void | Promise<void>;
  /**
   * Checks an answer before it is accepted: throw `InvalidInputError` to refuse it (the caller
   * gets a 400), or return the value to deliver.
   */
  parseResponse?: (response: unknown, request: any) => unknown;
  /** Receives the payload of a timer this executor set with `ctx.sleep`, when it is due. */
  onTimer?: (payload: any, ctx: ExecutorContext, timerId: string) => void | Promise<void>;
  retry?: Partial<RetryPolicy>;
}

export interface Executor {
  name: string;
  definition: ExecutorDefinition;
  retry: RetryPolicy;
}

export type Predicate = (message: any) => boolean;

export type Edge =
  | { id: string; kind: 'direct'; from: string; to: string; when?: Predicate }
  | { id: string; kind: 'fan-out'; from: string; to: string[]; select?: (message: any, targets: string[]) => string[] }
  | { id: string; kind: 'switch'; from: string; cases: Array<{ when: Predicate; to: string }>; otherwise?: string }
  | { id: string; kind: 'fan-in'; from: string[]; to: string };

/** A built, immutable workflow: what the engine runs and the registry serves. */
export interface Workflow<I = any> {
  name: string;
  version: string;
  description?: string;
  start: string;
  executors: ReadonlyMap<string, Executor>;
  edges: readonly Edge[];
  /** Outgoing edges by source executor, in the order they were added. */
  outgoing: ReadonlyMap<string, readonly Edge[]>;
  maxSupersteps: number;
  /** A hash of the graph's shape; a checkpoint records it and resume refuses another. */
  graphHash: string;
  registry?: TypeRegistry;
  /** Checks and normalizes a run's input; throws `InvalidInputError` with what is wrong. */
  parseInput(input: unknown): I;
}

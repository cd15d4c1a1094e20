import { createHash } from 'node:crypto';
import type { TypeRegistry } from './codec';
import { WorkflowDefinitionError } from './errors';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from './retry';
import type { Edge, Executor, ExecutorDefinition, Handler, Predicate, Workflow } from './workflow';

export interface WorkflowOptions<I> {
  version: string;
  description?: string;
  /** Bounds the number of checkpoints a run may write; past it the run fails with a clear error. */
  maxSupersteps?: number;
  /** Checks the run's input; throw `InvalidInputError` saying what is wrong. Defaults to accepting anything. */
  parseInput?: (input: unknown) => I;
  registry?: TypeRegistry;
}

export const DEFAULT_MAX_SUPERSTEPS = 10_000;
const EXECUTOR_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function workflow<I = unknown>(name: string, options: WorkflowOptions<I>): WorkflowBuilder<I> {
  return new WorkflowBuilder<I>(name, options);
}

export class WorkflowBuilder<I = unknown> {
  private readonly executors = new Map<string, Executor>();
  private readonly edges: Edge[] = [];
  private startName?: string;

  constructor(private readonly name: string, private readonly options: WorkflowOptions<I>) {}

  executor<M>(name: string, definition: Handler<M> | ExecutorDefinition<M>): this {
    if (!EXECUTOR_NAME.test(name)) throw new WorkflowDefinitionError(`executor name '${name}' must match ${EXECUTOR_NAME}`);
    if (this.executors.has(name)) throw new WorkflowDefinitionError(`executor '${name}' is defined twice`);
    const full: ExecutorDefinition = typeof definition === 'function' ? { handle: definition } : definition;
    if (typeof full.handle !== 'function') throw new WorkflowDefinitionError(`executor '${name}' needs a handle function`);
    const retry = { ...DEFAULT_RETRY_POLICY, ...full.retry };
    const problem = validateRetryPolicy(retry, name);
    if (problem) throw new WorkflowDefinitionError(problem);
    this.executors.set(name, { name, definition: full, retry });
    return this;
  }

  start(name: string): this {
    this.startName = name;
    return this;
  }

  /** A direct edge; with `when`, a conditional one that carries only the messages it accepts. */
  edge(from: string, to: string, options: { when?: Predicate } = {}): this {
    return this.add({ kind: 'direct', from, to, ...(options.when ? { when: options.when } : {}) });
  }

  /** One to many: every target gets the message, or only those `select` returns. */
  fanOut(from: string, to: string[], options: { select?: (message: any, targets: string[]) => string[] } = {}): this {
    return this.add({ kind: 'fan-out', from, to: [...to], ...(options.select ? { select: options.select } : {}) });
  }

  /** The first case whose predicate accepts the message receives it; else `otherwise`, if given. */
  switch(from: string, cases: Array<{ when: Predicate; to: string }>, options: { otherwise?: string } = {}): this {
    return this.add({ kind: 'switch', from, cases: [...cases], ...(options.otherwise ? { otherwise: options.otherwise } : {}) });
  }

  /** A barrier: `to` receives the list of one message from each source, in `from` order, once all have sent. */
  fanIn(from: string[], to: string): this {
    return this.add({ kind: 'fan-in', from: [...from], to });
  }

  build(): Workflow<I> {
    const { name, options } = this;
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new WorkflowDefinitionError(`workflow name '${name}' must be 1-63 characters of a-z 0-9 -`);
    if (typeof options.version !== 'string' || !options.version) throw new WorkflowDefinitionError(`workflow '${name}' needs a version`);
    const start = this.startName;
    if (!start) throw new WorkflowDefinitionError(`workflow '${name}' has no start executor`);
    this.requireExecutor(start, 'start');
    for (const edge of this.edges) this.checkEdge(edge);
    const maxSupersteps = options.maxSupersteps ?? DEFAULT_MAX_SUPERSTEPS;
    if (!Number.isInteger(maxSupersteps) || maxSupersteps < 1) throw new WorkflowDefinitionError('maxSupersteps must be a whole number ≥ 1');

    const outgoing = new Map<string, Edge[]>();
    for (const edge of this.edges) {
      for (const source of edge.kind === 'fan-in' ? edge.from : [edge.from]) {
        outgoing.set(source, [...(outgoing.get(source) ?? []), edge]);
      }
    }
    const parseInput = options.parseInput ?? ((input: unknown) => input as I);
    return Object.freeze({
      name,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
      start,
      executors: new Map(this.executors),
      edges: Object.freeze([...this.edges]),
      outgoing,
      maxSupersteps,
      graphHash: graphHash(name, start, this.executors, this.edges),
      ...(options.registry ? { registry: options.registry } : {}),
      parseInput,
    });
  }

  private add(edge: DistributiveOmit<Edge, 'id'>): this {
    this.edges.push({ ...edge, id: `e${this.edges.length}` } as Edge);
    return this;
  }

  private requireExecutor(name: string, role: string): void {
    if (!this.executors.has(name)) throw new WorkflowDefinitionError(`workflow '${this.name}': ${role} '${name}' is not a defined executor`);
  }

  private checkEdge(edge: Edge): void {
    const targets = edgeTargets(edge);
    const sources = edge.kind === 'fan-in' ? edge.from : [edge.from];
    for (const source of sources) this.requireExecutor(source, `edge ${edge.id} source`);
    for (const target of targets) this.requireExecutor(target, `edge ${edge.id} target`);
    if (edge.kind === 'fan-in' && (edge.from.length === 0 || new Set(edge.from).size !== edge.from.length)) {
      throw new WorkflowDefinitionError(`fan-in edge ${edge.id} needs distinct sources`);
    }
    if (edge.kind === 'fan-out' && edge.to.length === 0) throw new WorkflowDefinitionError(`fan-out edge ${edge.id} needs targets`);
    if (edge.kind === 'switch' && edge.cases.length === 0) throw new WorkflowDefinitionError(`switch edge ${edge.id} needs cases`);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function edgeTargets(edge: Edge): string[] {
  switch (edge.kind) {
    case 'direct':
    case 'fan-in':
      return [edge.to];
    case 'fan-out':
      return edge.to;
    case 'switch':
      return [...edge.cases.map((c) => c.to), ...(edge.otherwise ? [edge.otherwise] : [])];
  }
}

/** The graph's shape (names, handlers present, edge kinds and ends); predicates' code is not part of it. */
function graphHash(name: string, start: string, executors: Map<string, Executor>, edges: Edge[]): string {
  const shape = {
    name,
    start,
    executors: [...executors.values()].map((e) => [e.name, !!e.definition.onResponse, !!e.definition.onTimer]),
    edges: edges.map((edge) => {
      switch (edge.kind) {
        case 'direct':
          return [edge.kind, edge.from, edge.to, !!edge.when];
        case 'fan-out':
          return [edge.kind, edge.from, edge.to, !!edge.select];
        case 'switch':
          return [edge.kind, edge.from, edge.cases.map((c) => c.to), edge.otherwise ?? null];
        case 'fan-in':
          return [edge.kind, edge.from, edge.to];
      }
    }),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

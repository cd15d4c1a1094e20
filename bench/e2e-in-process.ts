import { performance } from 'node:perf_hooks';
import { QueueClient } from '@azure/storage-queue';
import type { CheckpointStore } from '../src/checkpoints/store';
import { createStepQueue, createStore, readSettings } from '../src/config';
import { isTerminal, type Executor, type Workflow } from '../src/engine';
import type { Logger, LogFields, StepQueue } from '../src/runtime';
import { WorkflowRuntime } from '../src/runtime';
import { shippedWorkflows, WorkflowRegistry } from '../src/workflows';
import type { CosmosRequestCounter } from './e2e-services';
import { factorPairsInputs, spread, type Spread } from './e2e-stats';

/** Where one superstep's wall time went, summed over the measured supersteps. */
interface Account {
  store: number;
  queue: number;
  executors: number;
}

export interface InProcessResults {
  description: string;
  runs: number;
  supersteps: number;
  /** Mean milliseconds per superstep, by where they went. */
  meanMs: { total: number; store: number; queue: number; executors: number; ourCode: number };
  /** Shares of the superstep's wall time (0..1). */
  share: { storeIo: number; queueIo: number; executors: number; ourCode: number; ourCodeWithExecutors: number };
  totalMs: Spread;
  ourCodeMs: Spread;
  /** Cosmos requests each superstep made, as the server counted them. */
  cosmosRequestsPerSuperstep: Spread;
  /** What the host does per message outside the superstep: receive (a batch, per message) and delete. */
  hostQueueMs: { receivePerMessage: number; delete: number };
}

/** A store or queue whose every method adds its wall time to `account[field]`. */
function timed<T extends object>(inner: T, account: Account, field: keyof Account): T {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          account[field] += performance.now() - started;
        }
      };
    },
  });
}

/** The workflow with each executor's handler timed into `account.executors` (workflow code, not ours). */
function timedWorkflow(workflow: Workflow, account: Account): Workflow {
  const executors = new Map<string, Executor>();
  for (const [name, executor] of workflow.executors) {
    const handle = executor.definition.handle;
    executors.set(name, {
      ...executor,
      definition: {
        ...executor.definition,
        handle: async (message, ctx) => {
          const started = performance.now();
          try {
            await handle(message, ctx);
          } finally {
            account.executors += performance.now() - started;
          }
        },
      },
    });
  }
  return { ...workflow, executors };
}

/** Formats each line as the app's console logger does, and drops it: the formatting is ours, the write is I/O. */
class FormattingLogger implements Logger {
  formattedChars = 0;
  readonly info = (message: string, fields?: LogFields) => this.format(message, fields);
  readonly warn = (message: string, fields?: LogFields) => this.format(message, fields);
  readonly error = (message: string, fields?: LogFields) => this.format(message, fields);

  private format(message: string, fields?: LogFields): void {
    this.formattedChars += (fields ? `${message} ${JSON.stringify(fields)}` : message).length;
  }
}

/**
 * The same workload as the host benchmark, through the app's own wiring (createStore and
 * createStepQueue from the settings: the Cosmos store and the Storage step queue), one message at
 * a time, so each superstep's wall time splits cleanly into store calls, queue calls, executor
 * handlers and the rest, which is our code (runtime, engine, codec, checkpoint checks, logging).
 */
export async function measureInProcess(env: Record<string, string>, counter: CosmosRequestCounter, runs: number): Promise<InProcessResults> {
  const settings = readSettings(env);
  const account: Account = { store: 0, queue: 0, executors: 0 };
  const store = timed<CheckpointStore>(createStore(settings, env), account, 'store');
  const queue = timed<StepQueue>(createStepQueue(settings, env), account, 'queue');
  const workflows = new WorkflowRegistry(shippedWorkflows().list().map((wf) => timedWorkflow(wf, account)));
  const runtime = new WorkflowRuntime({ store, queue, workflows, logger: new FormattingLogger(), followUpGraceMs: settings.followUpGraceSeconds * 1000 });
  const receiver = new QueueClient(env.AzureWebJobsStorage!, settings.stepQueue);
  await receiver.createIfNotExists();

  const drive = async (inputs: number[], prefix: string) => {
    const samples: Array<{ total: number; store: number; queue: number; executors: number; cosmos: number }> = [];
    const receive: number[] = [];
    const remove: number[] = [];
    let received = 0;
    const runIds = inputs.map((_, i) => `${prefix}-${i}`);
    for (const [i, n] of inputs.entries()) await runtime.start({ workflow: 'factor-pairs', input: n, runId: runIds[i]! });
    for (;;) {
      let started = performance.now();
      const { receivedMessageItems } = await receiver.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      receive.push(performance.now() - started);
      received += receivedMessageItems.length;
      if (receivedMessageItems.length === 0) {
        const latest = await Promise.all(runIds.map((runId) => store.latest(runId)));
        if (latest.every((checkpoint) => checkpoint && isTerminal(checkpoint.status))) break;
        continue;
      }
      for (const item of receivedMessageItems) {
        const message: unknown = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8'));
        account.store = account.queue = account.executors = 0;
        const requestsBefore = counter.total;
        started = performance.now();
        await runtime.handleQueueMessage(message, { dequeueCount: item.dequeueCount });
        const total = performance.now() - started;
        samples.push({ total, ...account, cosmos: counter.total - requestsBefore });
        started = performance.now();
        await receiver.deleteMessage(item.messageId, item.popReceipt);
        remove.push(performance.now() - started);
      }
    }
    return { samples, receivePerMessage: receive.reduce((s, v) => s + v, 0) / Math.max(1, received), remove };
  };

  try {
    await drive(factorPairsInputs(2), 'inproc-warmup');
    const { samples, receivePerMessage, remove } = await drive(factorPairsInputs(runs), 'inproc');
    const sum = (field: 'total' | 'store' | 'queue' | 'executors') => samples.reduce((s, v) => s + v[field], 0);
    const [total, storeMs, queueMs, executorsMs] = [sum('total'), sum('store'), sum('queue'), sum('executors')];
    const ourCode = total - storeMs - queueMs - executorsMs;
    const count = samples.length;
    return {
      description:
        `${runs} factor-pairs runs (n near 10^12) through WorkflowRuntime with the app's Cosmos store and Storage step queue ` +
        '(Cosmos protocol server and Azurite), one message at a time; store and queue calls and executor handlers timed by decorators',
      runs,
      supersteps: count,
      meanMs: { total: total / count, store: storeMs / count, queue: queueMs / count, executors: executorsMs / count, ourCode: ourCode / count },
      share: {
        storeIo: storeMs / total,
        queueIo: queueMs / total,
        executors: executorsMs / total,
        ourCode: ourCode / total,
        ourCodeWithExecutors: (ourCode + executorsMs) / total,
      },
      totalMs: spread(samples.map((s) => s.total)),
      ourCodeMs: spread(samples.map((s) => s.total - s.store - s.queue - s.executors)),
      cosmosRequestsPerSuperstep: spread(samples.map((s) => s.cosmos)),
      hostQueueMs: { receivePerMessage, delete: remove.reduce((s, v) => s + v, 0) / remove.length },
    };
  } finally {
    await (store as { close?: () => Promise<void> }).close?.();
  }
}

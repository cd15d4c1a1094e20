import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryCheckpointStore } from '../../src/checkpoints/memory-store';
import type { CheckpointStore } from '../../src/checkpoints/store';
import type { Checkpoint, Workflow } from '../../src/engine';
import { decodeValue } from '../../src/engine';
import type { LogFields, Logger, QueueOutcome, SendOptions, StepMessage, WorkflowLookup } from '../../src/runtime';
import { InMemoryStepQueue, WorkflowRuntime, drainQueue } from '../../src/runtime';
import { WorkflowRegistry } from '../../src/workflows/registry';
import { TestClock } from './clock';

export interface TestRuntime {
  runtime: WorkflowRuntime;
  store: CheckpointStore;
  queue: InMemoryStepQueue;
  clock: TestClock;
  logger: RecordingLogger;
}

export interface TestRuntimeOptions {
  store?: CheckpointStore;
  workflows?: WorkflowLookup | Workflow[];
  clock?: TestClock;
  /** Hand in a queue to share it between runtimes (two "processes" on one queue). */
  queue?: InMemoryStepQueue;
  newId?: () => string;
  followUpGraceMs?: number;
}

/** A WorkflowRuntime over `store` (memory by default), an in-memory step queue and a test clock. */
export function createTestRuntime(options: TestRuntimeOptions = {}): TestRuntime {
  const clock = options.clock ?? new TestClock();
  const store = options.store ?? new MemoryCheckpointStore();
  const queue = options.queue ?? new InMemoryStepQueue(clock.now);
  const workflows = Array.isArray(options.workflows) ? new WorkflowRegistry(options.workflows) : (options.workflows ?? new WorkflowRegistry());
  const logger = new RecordingLogger();
  const runtime = new WorkflowRuntime({
    store,
    queue,
    workflows,
    clock: clock.now,
    logger,
    ...(options.newId ? { newId: options.newId } : {}),
    ...(options.followUpGraceMs === undefined ? {} : { followUpGraceMs: options.followUpGraceMs }),
  });
  return { runtime, store, queue, clock, logger };
}

export interface DrainOptions {
  maxMessages?: number;
  /** Jump the test clock to each delayed message (timers, back-off) instead of stopping at it. */
  jumpClock?: boolean;
}

/** Handles queued step messages as the queue trigger would, until none is visible (or, with `jumpClock`, none is left). */
export function drain(t: TestRuntime, options: DrainOptions = {}): Promise<QueueOutcome[]> {
  return drainQueue(t.runtime, t.queue, {
    ...(options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages }),
    ...(options.jumpClock
      ? {
          onIdleUntil: (at: number) => {
            t.clock.setTo(Math.max(at, t.clock.now().getTime()));
            return true;
          },
        }
      : {}),
  });
}

/** Starts a run and drains the queue, jumping the clock over timers; returns the run's latest checkpoint. */
export async function runToCompletion(t: TestRuntime, workflow: string, input: unknown, runId?: string): Promise<Checkpoint> {
  const first = await t.runtime.start({ workflow, input, ...(runId ? { runId } : {}) });
  await drain(t, { jumpClock: true });
  return latestOf(t.store, first.runId);
}

export async function latestOf(store: CheckpointStore, runId: string): Promise<Checkpoint> {
  const latest = await store.latest(runId);
  if (!latest) throw new Error(`run '${runId}' has no checkpoints`);
  return latest;
}

/** The run's output as the workflow produced it (decoded from the codec's JSON). */
export function outputOf(checkpoint: Checkpoint): unknown {
  if (checkpoint.output === undefined) throw new Error(`checkpoint ${checkpoint.step} of run '${checkpoint.runId}' has no output (status ${checkpoint.status})`);
  return decodeValue(checkpoint.output);
}

/** A fresh folder under the system temp dir, and a function that removes it. */
export async function makeTempDir(label: string): Promise<{ directory: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), `${label}-`));
  return { directory, cleanup: () => rm(directory, { recursive: true, force: true }) };
}

/** An in-memory step queue whose next `send`s can be made to fail, as a queue outage or a crash before the send would. */
export class FlakyStepQueue extends InMemoryStepQueue {
  private failures = 0;
  readonly attempted: StepMessage[] = [];

  failNextSends(count = 1): void {
    this.failures = count;
  }

  override async send(message: StepMessage, options?: SendOptions): Promise<void> {
    this.attempted.push(structuredClone(message));
    if (this.failures > 0) {
      this.failures--;
      throw new Error('the step queue is unavailable');
    }
    return super.send(message, options);
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: LogFields;
}

/** Keeps what the runtime logs, so tests can check that a dropped message says why. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  info(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'info', message, ...(fields ? { fields } : {}) });
  }
  warn(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  }
  error(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'error', message, ...(fields ? { fields } : {}) });
  }
}

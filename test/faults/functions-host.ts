import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { WorkflowRuntime } from '../../src/runtime';
import type { FaultInjector } from './fault-injector';

export interface HostOptions {
  runtime: WorkflowRuntime;
  queue: QueueClient;
  poisonQueue: QueueClient;
  faults: FaultInjector;
  /** Instances taking messages at the same time. */
  consumers: number;
  batchSize: number;
  /** How long a received message stays hidden; a failed one reappears after it. */
  visibilityTimeoutSeconds: number;
  maxDequeueCount: number;
  /** Wait before polling an empty queue again. */
  idlePollMs: number;
  /** No loop runs past this time (epoch ms), whatever happens. */
  deadline: number;
}

export interface HostStats {
  received: number;
  /** Calls of the handler: a message delivered twice counts two. */
  handled: number;
  failed: number;
  deleted: number;
  /** Deletes refused because the message had reappeared and was taken again meanwhile. */
  lateAcks: number;
  movedToPoison: number;
  /** Runs the poison trigger recorded as Failed. */
  poisonRecorded: number;
  errors: number;
  outcomes: Record<string, number>;
}

/**
 * Takes step messages off the Storage queue the way the Functions host does for the queue trigger
 * (src/functions/step-queue.ts and poison-queue.ts): batches hidden for a visibility timeout, the
 * message deleted on success and left to reappear on failure, and after `maxDequeueCount`
 * failures the run recorded as Failed and the message moved to the poison queue, whose own
 * trigger records the run as Failed too.
 */
export class FunctionsHostEmulator {
  readonly stats: HostStats = { received: 0, handled: 0, failed: 0, deleted: 0, lateAcks: 0, movedToPoison: 0, poisonRecorded: 0, errors: 0, outcomes: {} };
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: HostOptions) {}

  start(): void {
    for (let i = 0; i < this.options.consumers; i++) this.loops.push(this.consume());
    this.loops.push(this.consumePoison());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private running(): boolean {
    return !this.stopped && Date.now() < this.options.deadline;
  }

  private async consume(): Promise<void> {
    const { queue, batchSize, visibilityTimeoutSeconds, idlePollMs } = this.options;
    while (this.running()) {
      let items: DequeuedMessageItem[];
      try {
        ({ receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: batchSize, visibilityTimeout: visibilityTimeoutSeconds }));
      } catch {
        this.stats.errors++;
        await sleep(idlePollMs);
        continue;
      }
      if (items.length === 0) {
        await sleep(idlePollMs);
        continue;
      }
      this.stats.received += items.length;
      await Promise.all(items.map((item) => this.deliver(item)));
    }
  }

  private async deliver(item: DequeuedMessageItem): Promise<void> {
    const { faults, maxDequeueCount, runtime } = this.options;
    const message = decodeMessage(item.messageText);
    const count = item.dequeueCount;
    const spared = count >= maxDequeueCount;
    let errors: unknown[];
    if (!faults.chance(faults.rates.deliveredTwice)) {
      errors = [await this.handle(message, count, spared)];
    } else if (faults.chance(0.5)) {
      // Two instances got the same message at the same time.
      faults.count('message delivered twice, at once');
      errors = await Promise.all([this.handle(message, count, spared), this.handle(message, count, spared)]);
    } else {
      faults.count('message delivered twice, in turn');
      errors = [await this.handle(message, count, spared), await this.handle(message, count + 1, spared)];
    }
    if (errors.some((error) => error === undefined)) return this.acknowledge(item);
    if (count < maxDequeueCount) return; // It reappears after the visibility timeout.
    const last = errors[errors.length - 1];
    const reason = last instanceof Error ? `${last.name}: ${last.message}` : String(last);
    // Part of the last delivery, so spared from injected faults like the rest of it.
    await faults
      .deliver(true, () => runtime.recordPoisoned(message, `the step message failed ${count} deliveries; last error: ${reason}`))
      .catch(() => void this.stats.errors++);
    try {
      await this.options.poisonQueue.sendMessage(item.messageText, { messageTimeToLive: -1 });
      await this.options.queue.deleteMessage(item.messageId, item.popReceipt);
      this.stats.movedToPoison++;
    } catch {
      this.stats.errors++;
    }
  }

  /** One call of the queue trigger; returns the error it failed with, if any. */
  private async handle(message: unknown, dequeueCount: number, spared: boolean): Promise<unknown> {
    this.stats.handled++;
    try {
      const outcome = await this.options.faults.deliver(spared, () => this.options.runtime.handleQueueMessage(message, { dequeueCount }));
      this.stats.outcomes[outcome.action] = (this.stats.outcomes[outcome.action] ?? 0) + 1;
      return undefined;
    } catch (error) {
      this.stats.failed++;
      return error ?? new Error('the handler threw nothing');
    }
  }

  private async acknowledge(item: DequeuedMessageItem): Promise<void> {
    try {
      await this.options.queue.deleteMessage(item.messageId, item.popReceipt);
      this.stats.deleted++;
    } catch (error) {
      // The handler outlived the visibility timeout: the message is someone else's now, and is redelivered.
      if ((error as { statusCode?: number }).statusCode === 404) this.stats.lateAcks++;
      else this.stats.errors++;
    }
  }

  private async consumePoison(): Promise<void> {
    const { poisonQueue, runtime, maxDequeueCount, visibilityTimeoutSeconds, idlePollMs } = this.options;
    while (this.running()) {
      let items: DequeuedMessageItem[] = [];
      try {
        ({ receivedMessageItems: items } = await poisonQueue.receiveMessages({ numberOfMessages: 16, visibilityTimeout: visibilityTimeoutSeconds }));
      } catch {
        this.stats.errors++;
      }
      if (items.length === 0) {
        await sleep(idlePollMs * 2);
        continue;
      }
      for (const item of items) {
        try {
          const failed = await runtime.recordPoisoned(decodeMessage(item.messageText), `the step message failed ${maxDequeueCount} deliveries and was moved to the poison queue`);
          if (failed) this.stats.poisonRecorded++;
          await poisonQueue.deleteMessage(item.messageId, item.popReceipt);
        } catch {
          this.stats.errors++;
        }
      }
    }
  }
}

/** What the host hands the function for a base64 message: the parsed JSON, or the text when it is not JSON. */
export function decodeMessage(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

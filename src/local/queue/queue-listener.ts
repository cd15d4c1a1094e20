import { randomUUID } from 'node:crypto';
import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';
import { abortableSleep } from '../abortable-sleep';
import type { RegisteredFunction } from '../core-api';
import type { RpcTypedData } from '../core-types';
import type { QueueSettings } from '../host-config';
import { InvocationFailedError, type Invoker } from '../invoker';
import { describeError, errorMessage, type HostLogger } from '../logger';
import { decodeMessageText } from './message-encoding';

export interface QueueListenerOptions {
  fn: RegisteredFunction;
  bindingName: string;
  queueName: string;
  queue: QueueClient;
  poisonQueue: QueueClient;
  settings: QueueSettings;
  /**
   * How long a received message stays invisible while its invocation runs. Renewed at half time,
   * so an invocation may run longer; if the host dies, the message reappears after this long.
   */
  leaseSeconds: number;
  invoker: Invoker;
  logger: HostLogger;
}

const fastestPollMs = 100;

/**
 * Consumes one queue for one queue-triggered function with the Functions host's semantics:
 * polls with exponential back-off up to `maxPollingInterval` while the queue is empty, takes up
 * to `batchSize` messages at once and fetches more when fewer than `newBatchThreshold` are
 * running, deletes a message after a successful invocation, makes it visible again after
 * `visibilityTimeout` when the invocation fails, and moves it to `<queue>-poison` once it has
 * failed `maxDequeueCount` times.
 */
export class QueueListener {
  readonly #options: QueueListenerOptions;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  #queueReady = false;
  #poisonReady = false;
  #unreachable = false;
  /** Resolves the poll loop's wait for a free slot. */
  #wake: (() => void) | undefined;

  constructor(options: QueueListenerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits up to `graceMs` for running messages. */
  async stop(graceMs: number): Promise<void> {
    this.#abort.abort();
    this.#wakeUp();
    await this.#loop;
    if (this.#running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#running]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  get #stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    const { settings, queue } = this.#options;
    const errorBackoffCapMs = Math.min(10_000, Math.max(1000, settings.maxPollingIntervalMs));
    let idleDelayMs = fastestPollMs;
    let errorDelayMs = fastestPollMs;
    while (!this.#stopping) {
      if (this.#running.size > settings.newBatchThreshold) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      let messages: ReceivedMessageItem[];
      try {
        if (!this.#queueReady) {
          await queue.createIfNotExists({ abortSignal: this.#abort.signal });
          this.#queueReady = true;
        }
        const response = await queue.receiveMessages({
          numberOfMessages: Math.min(32, settings.batchSize),
          visibilityTimeout: this.#options.leaseSeconds,
          abortSignal: this.#abort.signal,
        });
        messages = response.receivedMessageItems;
        this.#reachable();
        errorDelayMs = fastestPollMs;
      } catch (error) {
        if (this.#stopping) break;
        if (isQueueNotFound(error)) {
          this.#queueReady = false;
        } else {
          this.#unreachableNow(error);
        }
        await abortableSleep(errorDelayMs, this.#abort.signal);
        errorDelayMs = Math.min(errorDelayMs * 2, errorBackoffCapMs);
        continue;
      }
      if (messages.length === 0) {
        await abortableSleep(idleDelayMs, this.#abort.signal);
        idleDelayMs = Math.min(idleDelayMs * 2, settings.maxPollingIntervalMs);
        continue;
      }
      idleDelayMs = fastestPollMs;
      for (const message of messages) {
        const handling = this.#handle(message).catch((error: unknown) => {
          this.#options.logger.error(`Unexpected error handling a message of queue '${this.#options.queueName}': ${describeError(error)}`);
        });
        this.#running.add(handling);
        void handling.finally(() => {
          this.#running.delete(handling);
          this.#wakeUp();
        });
      }
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #unreachableNow(error: unknown): void {
    if (this.#unreachable) return;
    this.#unreachable = true;
    this.#options.logger.warn(
      `Queue '${this.#options.queueName}' is unreachable (${errorMessage(error)}); retrying with back-off until it answers`,
    );
  }

  #reachable(): void {
    if (!this.#unreachable) return;
    this.#unreachable = false;
    this.#options.logger.info(`Queue '${this.#options.queueName}' is reachable again`);
  }

  async #handle(message: ReceivedMessageItem): Promise<void> {
    const { settings, logger, queueName, fn } = this.#options;
    const lease = new MessageLease(this.#options.queue, message, this.#options.leaseSeconds, logger, queueName);

    if (message.dequeueCount > settings.maxDequeueCount) {
      await this.#settle(lease, () => this.#moveToPoison(lease));
      return;
    }

    lease.startRenewing();
    let succeeded = false;
    try {
      const text = decodeMessageText(message.messageText, settings.messageEncoding);
      await this.#options.invoker.invoke({
        fn,
        inputData: [{ name: this.#options.bindingName, data: { string: text } }],
        triggerMetadata: queueTriggerMetadata(fn.metadata.name, message, text),
        reason: `New queue message detected on '${queueName}'.`,
      });
      succeeded = true;
    } catch (error) {
      // The invoker logs its own failures; anything else (a message that cannot be decoded) is logged here.
      if (!(error instanceof InvocationFailedError)) {
        logger.error(`Message ${message.messageId} of queue '${queueName}' cannot be processed: ${errorMessage(error)}`);
      }
    } finally {
      await lease.stopRenewing();
    }

    if (succeeded) {
      await this.#settle(lease, () => this.#options.queue.deleteMessage(message.messageId, lease.popReceipt));
    } else if (message.dequeueCount >= settings.maxDequeueCount) {
      await this.#settle(lease, () => this.#moveToPoison(lease));
    } else {
      const seconds = Math.ceil(settings.visibilityTimeoutMs / 1000);
      await this.#settle(lease, () =>
        this.#options.queue.updateMessage(message.messageId, lease.popReceipt, undefined, seconds),
      );
    }
  }

  async #settle(lease: MessageLease, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.#options.logger.warn(
        `Could not complete message ${lease.message.messageId} of queue '${this.#options.queueName}' ` +
          `(${errorMessage(error)}); it becomes visible again when its lease ends`,
      );
    }
  }

  async #moveToPoison(lease: MessageLease): Promise<void> {
    const { poisonQueue, queueName, settings, logger } = this.#options;
    logger.warn(
      `Message has reached MaxDequeueCount of ${settings.maxDequeueCount}. ` +
        `Moving message ${lease.message.messageId} to queue '${poisonQueue.name}' (from '${queueName}').`,
    );
    if (!this.#poisonReady) {
      await poisonQueue.createIfNotExists();
      this.#poisonReady = true;
    }
    // The stored text is copied as is, so the poison queue keeps the same encoding.
    await poisonQueue.sendMessage(lease.message.messageText);
    await this.#options.queue.deleteMessage(lease.message.messageId, lease.popReceipt);
  }
}

/** Keeps a received message invisible while it is processed, tracking its latest pop receipt. */
class MessageLease {
  popReceipt: string;
  #timer: NodeJS.Timeout | undefined;
  #renewal: Promise<void> | undefined;
  #warned = false;

  constructor(
    private readonly queue: QueueClient,
    readonly message: ReceivedMessageItem,
    private readonly leaseSeconds: number,
    private readonly logger: HostLogger,
    private readonly queueName: string,
  ) {
    this.popReceipt = message.popReceipt;
  }

  startRenewing(): void {
    this.#timer = setInterval(() => {
      this.#renewal ??= this.#renew().finally(() => {
        this.#renewal = undefined;
      });
    }, (this.leaseSeconds * 1000) / 2);
  }

  async stopRenewing(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewal;
  }

  async #renew(): Promise<void> {
    try {
      const response = await this.queue.updateMessage(this.message.messageId, this.popReceipt, undefined, this.leaseSeconds);
      if (response.popReceipt) this.popReceipt = response.popReceipt;
    } catch (error) {
      if (this.#warned) return;
      this.#warned = true;
      this.logger.warn(
        `Could not extend the lease of message ${this.message.messageId} on queue '${this.queueName}' (${errorMessage(error)}); ` +
          'another consumer may receive it while it is still being processed',
      );
    }
  }
}

function queueTriggerMetadata(functionName: string, message: ReceivedMessageItem, text: string): Record<string, RpcTypedData> {
  const json = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
  return {
    QueueTrigger: { string: text },
    Id: json(message.messageId),
    DequeueCount: json(message.dequeueCount),
    InsertionTime: json(message.insertedOn.toISOString()),
    ExpirationTime: json(message.expiresOn.toISOString()),
    NextVisibleTime: json(message.nextVisibleOn.toISOString()),
    PopReceipt: json(message.popReceipt),
    sys: json({ MethodName: functionName, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}

function isQueueNotFound(error: unknown): boolean {
  const details = error as { statusCode?: number; code?: string; details?: { errorCode?: string } };
  return details?.statusCode === 404 && (details.code === 'QueueNotFound' || details.details?.errorCode === 'QueueNotFound');
}

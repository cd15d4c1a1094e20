import type { QueueClient } from '@azure/storage-queue';
import type { SendOptions, StepMessage, StepQueue } from '../runtime/step-queue';
import { MAX_VISIBILITY_DELAY_SECONDS } from '../runtime/step-queue';

/** How message text is put on the queue; must match host.json `extensions.queues.messageEncoding`. */
export type MessageEncoding = 'base64' | 'none';

/**
 * The step queue on Azure Storage queues. Messages never expire (a durable timer may wait longer
 * than the queue's default 7-day time to live); each one is a small JSON pointer.
 */
export class StorageStepQueue implements StepQueue {
  private created: Promise<void> | undefined;

  constructor(
    private readonly client: QueueClient,
    private readonly options: { encoding?: MessageEncoding; createIfMissing?: boolean } = {},
  ) {}

  get name(): string {
    return this.client.name;
  }

  async send(message: StepMessage, options: SendOptions = {}): Promise<void> {
    await this.ensureQueue();
    const text = JSON.stringify(message);
    const body = (this.options.encoding ?? 'base64') === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
    const delay = Math.min(MAX_VISIBILITY_DELAY_SECONDS, Math.max(0, Math.ceil(options.delaySeconds ?? 0)));
    await this.client.sendMessage(body, { messageTimeToLive: -1, ...(delay > 0 ? { visibilityTimeout: delay } : {}) });
  }

  private ensureQueue(): Promise<void> {
    if (this.options.createIfMissing === false) return Promise.resolve();
    this.created ??= this.client.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined;
        throw error;
      },
    );
    return this.created;
  }
}

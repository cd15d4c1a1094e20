import type { SendOptions, StepMessage, StepQueue } from './step-queue';

export interface QueuedStep {
  message: StepMessage;
  visibleAt: number;
  dequeueCount: number;
}

/** A step queue in memory, for running workflows in one process (tests, benchmarks, scripts). */
export class InMemoryStepQueue implements StepQueue {
  private readonly items: QueuedStep[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async send(message: StepMessage, options: SendOptions = {}): Promise<void> {
    const visibleAt = this.clock().getTime() + (options.delaySeconds ?? 0) * 1000;
    this.items.push({ message: structuredClone(message), visibleAt, dequeueCount: 0 });
  }

  get size(): number {
    return this.items.length;
  }

  /** Takes the next message visible now, or undefined. */
  receive(): QueuedStep | undefined {
    const now = this.clock().getTime();
    const index = this.items.findIndex((item) => item.visibleAt <= now);
    if (index < 0) return undefined;
    const [item] = this.items.splice(index, 1);
    item!.dequeueCount++;
    return item;
  }

  /** When the earliest hidden message becomes visible, or undefined when the queue is empty. */
  nextVisibleAt(): number | undefined {
    return this.items.length === 0 ? undefined : Math.min(...this.items.map((item) => item.visibleAt));
  }

  /** Puts a message back, as a queue does when its handler failed. */
  release(item: QueuedStep, delaySeconds = 0): void {
    this.items.push({ ...item, visibleAt: this.clock().getTime() + delaySeconds * 1000 });
  }
}

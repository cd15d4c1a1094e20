import type { SendOptions, StepMessage, StepQueue } from '../../src/runtime';
import type { FaultInjector } from './fault-injector';

/** A step queue that loses follow-up messages now and then, and plays the crash after the send. */
export class FaultyStepQueue implements StepQueue {
  constructor(
    private readonly inner: StepQueue,
    private readonly faults: FaultInjector,
  ) {}

  async send(message: StepMessage, options?: SendOptions): Promise<void> {
    if (this.faults.dropNextSend.delete(message.runId) || this.faults.chance(this.faults.rates.dropped)) {
      this.faults.count('follow-up message dropped');
      return;
    }
    await this.inner.send(message, options);
    this.faults.crashAt('after-enqueue');
  }
}

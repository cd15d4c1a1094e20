import type { WorkflowRuntime } from '../../src/runtime';
import { sleep } from './functions-host';

export interface SweeperStats {
  sweeps: number;
  checked: number;
  resent: number;
  /** Sweeps a store fault cut short; the next one goes on. */
  failed: number;
}

/** The stalled-run timer trigger, every `intervalMs` until stopped or `deadline` (epoch ms). */
export class SweeperTimer {
  readonly stats: SweeperStats = { sweeps: 0, checked: 0, resent: 0, failed: 0 };
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly runtime: WorkflowRuntime,
    private readonly options: { intervalMs: number; stalledAfterMs: number; deadline: number },
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped && Date.now() < this.options.deadline) {
      await sleep(this.options.intervalMs);
      try {
        const result = await this.runtime.sweep({ stalledAfterMs: this.options.stalledAfterMs });
        this.stats.sweeps++;
        this.stats.checked += result.checked;
        this.stats.resent += result.resent;
      } catch {
        this.stats.failed++;
      }
    }
  }
}

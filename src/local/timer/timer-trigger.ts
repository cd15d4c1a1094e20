import type { RegisteredFunction } from '../core-api';
import type { Invoker } from '../invoker';
import type { HostLogger } from '../logger';
import type { Schedule } from './ncrontab';

export interface TimerTriggerOptions {
  fn: RegisteredFunction;
  bindingName: string;
  schedule: Schedule;
  runOnStartup: boolean;
  invoker: Invoker;
  logger: HostLogger;
}

/** `setTimeout` cannot wait longer than this; longer waits re-arm. */
const longestTimeoutMs = 2 ** 31 - 1;
const neverRun = '0001-01-01T00:00:00';

/**
 * Runs a timer-triggered function on its schedule: one run at a time (a run still going when the
 * next occurrence comes is followed at once by a past-due run), `runOnStartup`, and on demand.
 */
export class TimerTrigger {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastRun: Date | undefined;

  constructor(private readonly options: TimerTriggerOptions) {}

  start(): void {
    if (this.options.runOnStartup) void this.#fire(new Date(), false, 'Timer fired at startup (runOnStartup)');
    else this.#arm(new Date());
  }

  /** Runs the function now, as the admin API does. */
  runNow(): void {
    void this.#invoke(new Date(), false, 'This function was programmatically called via the host APIs.');
  }

  /** Stops the schedule; a run in progress finishes on its own. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(after: Date): void {
    if (this.#stopped) return;
    const next = this.options.schedule.next(after);
    const wait = Math.min(Math.max(0, next.getTime() - Date.now()), longestTimeoutMs);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (Date.now() >= next.getTime()) void this.#fire(next, false, 'Timer fired');
      else this.#arm(after);
    }, wait);
  }

  async #fire(scheduled: Date, isPastDue: boolean, reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#timer = undefined;
    await this.#invoke(scheduled, isPastDue, reason);
    if (this.#stopped) return;
    const next = this.options.schedule.next(scheduled);
    if (!isPastDue && next.getTime() <= Date.now()) void this.#fire(next, true, 'Timer fired (past due)');
    else this.#arm(new Date());
  }

  async #invoke(scheduled: Date, isPastDue: boolean, reason: string): Promise<void> {
    const { fn, bindingName, schedule, invoker } = this.options;
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: this.#lastRun?.toISOString() ?? neverRun,
        Next: schedule.next(scheduled).toISOString(),
        LastUpdated: new Date().toISOString(),
      },
      IsPastDue: isPastDue,
    };
    this.#lastRun = scheduled;
    try {
      await invoker.invoke({
        fn,
        inputData: [{ name: bindingName, data: { json: JSON.stringify(timerInfo) } }],
        triggerMetadata: {},
        reason,
      });
    } catch {
      // The invoker logged it; a failed timer run waits for its next occurrence.
    }
  }
}

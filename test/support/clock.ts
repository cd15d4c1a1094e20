/** A clock that only moves when a test moves it. Pass `clock.now` wherever a `() => Date` is asked for. */
export class TestClock {
  private ms: number;

  constructor(start: string | number | Date = '2025-01-01T00:00:00.000Z') {
    this.ms = toMs(start);
  }

  readonly now = (): Date => new Date(this.ms);

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a test clock moves forward only, got ${ms} ms`);
    this.ms += ms;
    return this.now();
  }

  /** Moves to `at`; never backwards. */
  setTo(at: string | number | Date): Date {
    const target = toMs(at);
    if (target < this.ms) throw new RangeError(`a test clock moves forward only: ${new Date(target).toISOString()} is before ${this.now().toISOString()}`);
    this.ms = target;
    return this.now();
  }
}

function toMs(at: string | number | Date): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(at)}`);
  return ms;
}

/** Ids `prefix-1`, `prefix-2`, …: two sources made alike hand out the same ids in the same order. */
export function sequentialIds(prefix = 'id'): () => string {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

import { AsyncLocalStorage } from 'node:async_hooks';

/** Where a simulated crash stops one delivery of a step message. */
export type CrashPoint = 'before-superstep' | 'before-save' | 'after-save' | 'after-enqueue';

export const FAULT_KINDS = [
  'crash before the superstep',
  'crash after compute, before save',
  'crash after save, before enqueue',
  'crash after enqueue, before ack',
  'store 429 throttled',
  'store 503 unavailable',
  'store timeout, not done',
  'store timeout, done but answer lost',
  'follow-up message dropped',
  'message delivered twice, in turn',
  'message delivered twice, at once',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const CRASH_KIND: Record<CrashPoint, FaultKind> = {
  'before-superstep': 'crash before the superstep',
  'before-save': 'crash after compute, before save',
  'after-save': 'crash after save, before enqueue',
  'after-enqueue': 'crash after enqueue, before ack',
};

/** Chances, from 0 to 1, that each fault strikes where it can. */
export interface FaultRates {
  /** Per delivery: one crash point is picked with these chances (they must add up to ≤ 1). */
  crash: Record<CrashPoint, number>;
  /** Per store call. */
  throttled: number;
  unavailable: number;
  timeout: number;
  /** Per queue send. */
  dropped: number;
  /** Per received message: handled twice before it is deleted. */
  deliveredTwice: number;
}

/** What one delivery of a message will suffer, shared by the decorators through async context. */
export interface DeliveryFaults {
  crash?: CrashPoint;
  /** The host's last delivery of the message: injected transient faults leave it alone (a permanent one does not). */
  spared: boolean;
  /** Set once the delivery touched the store. */
  started: boolean;
}

/** A simulated process crash: nothing the runtime does may rely on code after this point running. */
export class InjectedCrash extends Error {
  override name = 'InjectedCrash';
}

const currentDelivery = new AsyncLocalStorage<DeliveryFaults>();

/** A small seeded generator (mulberry32), so a failing mix can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides which faults strike, and counts those that did, by kind. */
export class FaultInjector {
  readonly counts = new Map<FaultKind, number>(FAULT_KINDS.map((kind) => [kind, 0]));
  /** Runs whose checkpoint reads always fail: their messages can only end in the poison queue. */
  readonly brokenReads = new Set<string>();
  /** Runs whose next queue send is dropped for sure, so only the sweeper can move them on. */
  readonly dropNextSend = new Set<string>();

  constructor(
    readonly rates: FaultRates,
    private readonly random: () => number,
  ) {
    const crashTotal = Object.values(rates.crash).reduce((sum, rate) => sum + rate, 0);
    if (crashTotal > 1) throw new RangeError(`crash rates add up to ${crashTotal}; they are chances of one delivery and must add up to at most 1`);
  }

  count(kind: FaultKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  chance(rate: number): boolean {
    return this.random() < rate;
  }

  /** Runs `handle` as one delivery whose crash point (if any) is drawn now. */
  deliver<T>(spared: boolean, handle: () => Promise<T>): Promise<T> {
    return currentDelivery.run({ spared, started: false, ...this.drawCrash(spared) }, handle);
  }

  /** Throws if the current delivery is to crash at `point`; counts it. */
  crashAt(point: CrashPoint): void {
    const delivery = currentDelivery.getStore();
    if (delivery?.crash !== point) return;
    delivery.crash = undefined;
    this.count(CRASH_KIND[point]);
    throw new InjectedCrash(`injected crash: ${CRASH_KIND[point]}`);
  }

  /** Called on every store call: the first one of a delivery is where "before the superstep" strikes. */
  enterStore(): void {
    const delivery = currentDelivery.getStore();
    if (!delivery || delivery.started) return;
    delivery.started = true;
    this.crashAt('before-superstep');
  }

  /** True when the call runs outside the last delivery of a message, so transient faults may strike. */
  mayFault(): boolean {
    return !currentDelivery.getStore()?.spared;
  }

  private drawCrash(spared: boolean): { crash?: CrashPoint } {
    if (spared) return {};
    let roll = this.random();
    for (const [point, rate] of Object.entries(this.rates.crash) as Array<[CrashPoint, number]>) {
      if (roll < rate) return { crash: point };
      roll -= rate;
    }
    return {};
  }
}

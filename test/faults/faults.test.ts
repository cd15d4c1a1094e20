import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from './fault-injector';
import { formatFigures, runFaultSuite, type FaultSuiteResult } from './fault-suite';

/** A new mix each time unless FAULT_SEED replays one; the table prints the seed. */
function seedFromEnv(): number {
  const text = process.env.FAULT_SEED?.trim();
  if (!text) return Date.now() % 1_000_000;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`FAULT_SEED must be a whole number ≥ 0 (the seed a failed run printed), not '${text}'`);
  return seed;
}

const seed = seedFromEnv();

describe('fault injection: 500 runs over the real runtime, Azurite and the Cosmos protocol server', () => {
  let result: FaultSuiteResult;

  beforeAll(async () => {
    result = await runFaultSuite({
      runs: 500,
      seed,
      rates: {
        crash: { 'before-superstep': 0.04, 'before-save': 0.04, 'after-save': 0.04, 'after-enqueue': 0.04 },
        throttled: 0.02,
        unavailable: 0.02,
        timeout: 0.02,
        dropped: 0.02,
        deliveredTwice: 1,
      },
      consumers: 4,
      batchSize: 16,
      visibilityTimeoutSeconds: 3,
      maxDequeueCount: 5,
      followUpGraceMs: 500,
      sweepIntervalMs: 2_000,
      stalledAfterMs: 2_000,
      forcedDrops: 10,
      startsPerSecond: 10,
      budgetMs: 150_000,
    });
    console.info(`\nfault-injection figures\n${formatFigures(result)}\n`);
    if (result.problems.length) console.info(`problems (first 20):\n${result.problems.slice(0, 20).join('\n')}`);
  });

  it('loses, forks and strands no run, and every output equals the clean run', () => {
    expect(result.driverErrors).toEqual([]);
    expect(result.problems).toEqual([]);
    expect({
      forked: result.figures.forked,
      lostSteps: result.figures.lostSteps,
      differentOutputs: result.figures.differentOutputs,
      stuck: result.figures.stuck,
    }).toEqual({ forked: 0, lostSteps: 0, differentOutputs: 0, stuck: 0 });
    expect(result.figures.completed).toBe(result.figures.runs);
  });

  it('injected every kind of fault', () => {
    for (const kind of FAULT_KINDS) expect(result.figures.faults.get(kind), kind).toBeGreaterThan(0);
  });

  it('the stalled-run sweeper moves on the runs whose message was dropped', () => {
    expect(result.sweeper.resent).toBeGreaterThan(0);
    expect(result.forcedDropRuns.length).toBeGreaterThan(0);
    for (const run of result.forcedDropRuns) expect(run, run.runId).toEqual({ runId: run.runId, status: 'Completed' });
  });

  it('a poisoned message ends its run Failed with the reason while the other runs go on', () => {
    expect(result.host.movedToPoison).toBeGreaterThan(0);
    for (const run of result.poisoned) {
      expect(run.latest?.status, run.runId).toBe('Failed');
      expect(run.latest?.error?.code, run.runId).toBe('Poisoned');
      expect(run.latest?.error?.message, run.runId).toContain(run.why);
    }
  });
});

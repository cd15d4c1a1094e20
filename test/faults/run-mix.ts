import type { Json, RunStatus } from '../../src/engine';
import type { ApprovalDecision, ApprovalInput } from '../../src/workflows/approval';
import { shippedWorkflows } from '../../src/workflows';
import { createTestRuntime, drain, latestOf, runToCompletion } from '../support/runtime';

/** One run of the mix: what to start, how to answer it (approval), and what it must end with. */
export interface RunSpec {
  runId: string;
  workflow: 'factor-pairs' | 'word-count' | 'approval';
  input: unknown;
  /** Approval runs answered before their (long) timeout; the others time out on their own. */
  answer?: { via: 'runtime' | 'queue'; response: ApprovalDecision };
}

export interface Expected {
  status: RunStatus;
  output: Json | undefined;
}

const WORDS = ['alpha', 'Beta', 'GAMMA', 'délta', 'naïve', 'it’s', "don't", 'über', '東京', 'x', '42', 'zebra', 'Zebra', '__proto__', 'constructor', 'café'];
const SEPARATORS = [' ', ', ', '\n', ' -- ', '! ', '\t', '… '];

/** `count` runs over the three shipped workflows, with varied inputs drawn from `random`. */
export function makeRunMix(count: number, random: () => number, prefix = 'mix'): RunSpec[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const specs: RunSpec[] = [];
  for (let i = 0; i < count; i++) {
    const runId = `${prefix}-${String(i).padStart(4, '0')}`;
    const slot = i % 10;
    if (slot < 4) specs.push({ runId, workflow: 'factor-pairs', input: factorInput(i, random, between) });
    else if (slot < 7) {
      const documents = Array.from({ length: between(1, 100) }, () =>
        Array.from({ length: between(0, 12) }, () => pick(WORDS)).reduce((text, word) => (text ? text + pick(SEPARATORS) : '') + word, ''),
      );
      specs.push({ runId, workflow: 'word-count', input: { documents } });
    } else {
      const title = `purchase ${i} ${pick(WORDS)}`;
      const amount = Math.round(random() * 1_000_000) / 100;
      if (slot === 9) {
        specs.push({ runId, workflow: 'approval', input: { title, amount, timeoutSeconds: between(2, 3) } satisfies ApprovalInput });
      } else {
        const response: ApprovalDecision = random() < 0.5 ? { approved: random() < 0.5 } : { approved: random() < 0.5, comment: `decided by ${pick(WORDS)}` };
        // Far longer than the suite: these runs end by their answer, never by the timer.
        const input: ApprovalInput = { title, amount, timeoutSeconds: 3600 };
        specs.push({ runId, workflow: 'approval', input, answer: { via: slot === 7 ? 'runtime' : 'queue', response } });
      }
    }
  }
  return specs;
}

/** Small numbers take one worker superstep; those near 10^11 take four (about √n / 100 000). */
function factorInput(i: number, random: () => number, between: (low: number, high: number) => number): number {
  const fixed = [1, 2, 97, 1_000_000, 4_294_967_296, 10_000_000_019, 99_999_999_999, 100_000_000_000];
  if (i % 10 === 0 && i / 10 < fixed.length) return fixed[i / 10]!;
  const scale = pick3(random);
  return scale === 0 ? between(1, 1_000_000) : scale === 1 ? between(1_000_000, 10_000_000_000) : between(10_000_000_000, 100_000_000_000);
}

function pick3(random: () => number): 0 | 1 | 2 {
  const roll = random();
  return roll < 0.35 ? 0 : roll < 0.7 ? 1 : 2;
}

/** What each run ends with when nothing goes wrong: one in-process runtime, memory store, in-memory queue. */
export async function cleanOutcomes(specs: readonly RunSpec[]): Promise<Map<string, Expected>> {
  const expected = new Map<string, Expected>();
  const t = createTestRuntime({ workflows: shippedWorkflows() });
  for (const spec of specs) {
    let latest;
    if (spec.answer) {
      await t.runtime.start({ workflow: spec.workflow, input: spec.input, runId: spec.runId });
      await drain(t);
      const waiting = await latestOf(t.store, spec.runId);
      const request = waiting.pendingRequests[0];
      if (!request) throw new Error(`clean run '${spec.runId}' is ${waiting.status} with no pending request`);
      await t.runtime.answer(spec.runId, request.requestId, spec.answer.response);
      await drain(t);
      latest = await latestOf(t.store, spec.runId);
    } else {
      latest = await runToCompletion(t, spec.workflow, spec.input, spec.runId);
    }
    expected.set(spec.runId, { status: latest.status, output: latest.output });
  }
  return expected;
}

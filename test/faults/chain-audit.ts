import type { CheckpointStore } from '../../src/checkpoints/store';
import type { Checkpoint } from '../../src/engine';

export interface ChainAudit {
  runId: string;
  /** Steps missing between 0 and the latest. */
  lostSteps: number;
  /** The checkpoints are not one chain 0 → 1 → … → latest. */
  forked: boolean;
  problems: string[];
  latest?: Checkpoint;
}

/**
 * Reads every checkpoint of the run straight from the store and checks that they form one chain:
 * steps exactly 0..latest, each checkpoint stored under its own step, and each one's parent the
 * step before it (none for step 0).
 */
export async function auditChain(store: CheckpointStore, runId: string): Promise<ChainAudit> {
  const audit: ChainAudit = { runId, lostSteps: 0, forked: false, problems: [] };
  const steps = await store.listIds(runId);
  if (steps.length === 0) {
    audit.problems.push('no checkpoints');
    return audit;
  }
  const unique = new Set(steps);
  if (unique.size !== steps.length) {
    audit.forked = true;
    audit.problems.push(`a step is stored twice: ${steps.join(',')}`);
  }
  const last = Math.max(...steps);
  for (let step = 0; step <= last; step++) {
    if (unique.has(step)) continue;
    audit.lostSteps++;
    audit.problems.push(`step ${step} is missing`);
  }
  for (const step of [...unique].sort((a, b) => a - b)) {
    const checkpoint = await store.load(runId, step);
    const parentStep = typeof checkpoint.parent === 'number' ? checkpoint.parent : undefined;
    const expectedParent = step === 0 ? undefined : step - 1;
    if (checkpoint.step !== step || parentStep !== expectedParent || (step === 0) !== (checkpoint.parent === null)) {
      audit.forked = true;
      audit.problems.push(`checkpoint ${step} is step ${checkpoint.step} with parent ${JSON.stringify(checkpoint.parent)}`);
    }
    if (step === last) audit.latest = checkpoint;
  }
  return audit;
}

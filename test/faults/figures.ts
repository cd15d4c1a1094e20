import { isDeepStrictEqual } from 'node:util';
import { isTerminal } from '../../src/engine';
import type { Logger } from '../../src/runtime';
import type { ChainAudit } from './chain-audit';
import type { FaultInjector, FaultKind } from './fault-injector';
import type { Expected, RunSpec } from './run-mix';
import type { SaveLog } from './save-log';

export interface FaultFigures {
  runs: number;
  faults: Map<FaultKind, number>;
  completed: number;
  forked: number;
  lostSteps: number;
  differentOutputs: number;
  stuck: number;
}

/** The figures of the mix, and a line for each run that went wrong. */
export function tally(specs: readonly RunSpec[], expected: Map<string, Expected>, audits: Map<string, ChainAudit>, saves: SaveLog, faults: FaultInjector) {
  const doubleCreates = saves.doubleCreates();
  const figures: FaultFigures = { runs: specs.length, faults: new Map(faults.counts), completed: 0, forked: 0, lostSteps: 0, differentOutputs: 0, stuck: 0 };
  const problems: string[] = [];
  for (const [runId, audit] of audits) {
    const forked = audit.forked || doubleCreates.has(runId);
    if (forked) figures.forked++;
    figures.lostSteps += audit.lostSteps;
    if (forked || audit.lostSteps > 0) problems.push(`${runId}: ${[...audit.problems, ...(doubleCreates.has(runId) ? ['a step was created twice'] : [])].join('; ')}`);
  }
  for (const spec of specs) {
    const latest = audits.get(spec.runId)?.latest;
    if (latest?.status === 'Completed') figures.completed++;
    if (!latest || !isTerminal(latest.status)) {
      figures.stuck++;
      problems.push(`${spec.runId} (${spec.workflow}): stuck at ${latest ? `step ${latest.step}, ${latest.status}` : 'no checkpoint'}`);
      continue;
    }
    const want = expected.get(spec.runId)!;
    if (latest.status !== want.status || !isDeepStrictEqual(latest.output, want.output)) {
      figures.differentOutputs++;
      const got = JSON.stringify(latest.output ?? latest.error)?.slice(0, 200);
      problems.push(`${spec.runId} (${spec.workflow}): ended ${latest.status} ${got}, the clean run ended ${want.status} ${JSON.stringify(want.output)?.slice(0, 200)}`);
    }
  }
  return { figures, problems };
}

/** Label and value rows as a two-column table. */
export function formatTable(rows: ReadonlyArray<readonly [string, string | number]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${String(value).padStart(8)}`).join('\n');
}

/** Counts log lines by message; the runtime's logs say which repairs it made. */
export class CountingLogger implements Logger {
  readonly counts = new Map<string, number>();
  info(message: string): void {
    this.add(message);
  }
  warn(message: string): void {
    this.add(message);
  }
  error(message: string): void {
    this.add(message);
  }
  private add(message: string): void {
    this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
  }
}

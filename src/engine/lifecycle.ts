import type { Checkpoint, PendingRequest, PendingTimer, QueuedMessage, RunStatus, TransitionKind } from './checkpoint';
import { CHECKPOINT_FORMAT_VERSION } from './checkpoint';
import { GraphMismatchError } from './errors';
import type { Workflow } from './workflow';

/** What a run is doing, from what it still holds: messages run now, requests wait, timers sleep. */
export function deriveStatus(messages: readonly QueuedMessage[], requests: readonly PendingRequest[], timers: readonly PendingTimer[]): RunStatus {
  if (messages.length > 0) return 'Running';
  if (requests.length > 0) return 'Waiting';
  if (timers.length > 0) return 'Running';
  return 'Completed';
}

/** The earliest time anything is due, or undefined when a message can run right now. */
export function deriveWakeAt(messages: readonly QueuedMessage[], timers: readonly PendingTimer[], now: Date): string | undefined {
  const nowMs = now.getTime();
  let earliest = Infinity;
  for (const message of messages) {
    const at = message.notBefore ? Date.parse(message.notBefore) : nowMs;
    if (at <= nowMs) return undefined;
    earliest = Math.min(earliest, at);
  }
  for (const timer of timers) earliest = Math.min(earliest, Date.parse(timer.wakeAt));
  return Number.isFinite(earliest) ? new Date(earliest).toISOString() : undefined;
}

/** Checkpoint n + 1 of the same run: everything carried over, then `changes` applied. */
export function successor(previous: Checkpoint, transition: TransitionKind, now: Date, changes: Partial<Checkpoint>): Checkpoint {
  const { wakeAt: _wakeAt, error: _error, ...carried } = previous;
  const next: Checkpoint = {
    ...carried,
    version: CHECKPOINT_FORMAT_VERSION,
    step: previous.step + 1,
    transition,
    createdAt: now.toISOString(),
    parent: previous.step,
    metrics: { durationMs: 0, bytes: 0 },
    ...changes,
  };
  if (next.wakeAt === undefined) delete next.wakeAt;
  if (next.error === undefined) delete next.error;
  if (next.output === undefined) delete next.output;
  if (next.fanIn && Object.keys(next.fanIn).length === 0) delete next.fanIn;
  if (!next.attempt) delete next.attempt;
  return next;
}

export function assertCompatible(workflow: Workflow, checkpoint: Checkpoint): void {
  if (checkpoint.version !== CHECKPOINT_FORMAT_VERSION) {
    throw new GraphMismatchError(`checkpoint ${checkpoint.step} of run '${checkpoint.runId}' has format version ${String(checkpoint.version)}; this app reads version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  if (checkpoint.workflow !== workflow.name) {
    throw new GraphMismatchError(`run '${checkpoint.runId}' belongs to workflow '${checkpoint.workflow}', not '${workflow.name}'`);
  }
  if (checkpoint.graphHash !== workflow.graphHash) {
    throw new GraphMismatchError(
      `run '${checkpoint.runId}' was checkpointed by ${workflow.name} version ${checkpoint.workflowVersion} (graph ${checkpoint.graphHash}); ` +
        `this app has ${workflow.name} version ${workflow.version} (graph ${workflow.graphHash}), whose graph differs, so it cannot resume it`,
    );
  }
}

/** Whether a superstep may have work to do: the run is pending or running, or waits with a timer set. */
export function canAdvance(checkpoint: Checkpoint): boolean {
  return checkpoint.status === 'Pending' || checkpoint.status === 'Running' || (checkpoint.status === 'Waiting' && checkpoint.wakeAt !== undefined);
}

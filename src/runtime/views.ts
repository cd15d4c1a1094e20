import type { Checkpoint, Json, RunError, RunStatus } from '../engine';
import { forkSource, isTerminal } from '../engine/checkpoint';

export interface PendingRequestView {
  requestId: string;
  executor: string;
  /** The request payload, in the codec's JSON (plain JSON stays plain). */
  request: Json;
  createdAt: string;
}

/** A run as its latest checkpoint describes it. Values are shown in the codec's JSON form. */
export interface RunView {
  runId: string;
  workflow: string;
  workflowVersion: string;
  status: RunStatus;
  step: number;
  createdAt: string;
  updatedAt: string;
  output?: Json;
  error?: RunError;
  pendingRequests: PendingRequestView[];
  /** When a sleeping or retrying run is due next. */
  wakeAt?: string;
  /** The checkpoint a forked run started from. */
  forkedFrom?: { runId: string; step: number };
  /** Request units recorded on the run's checkpoints so far, where the store reports them. */
  requestCharge?: number;
}

export function viewRun(latest: Checkpoint, first?: Pick<Checkpoint, 'parent' | 'transition'>): RunView {
  const view: RunView = {
    runId: latest.runId,
    workflow: latest.workflow,
    workflowVersion: latest.workflowVersion,
    status: latest.status,
    step: latest.step,
    createdAt: latest.runCreatedAt,
    updatedAt: latest.createdAt,
    // A finished run answers nothing; its checkpoint keeps the requests so a fork can take them up.
    pendingRequests: isTerminal(latest.status)
      ? []
      : latest.pendingRequests.map(({ requestId, executor, request, createdAt }) => ({ requestId, executor, request, createdAt })),
  };
  if (latest.output !== undefined) view.output = latest.output;
  if (latest.error) view.error = latest.error;
  if (latest.wakeAt) view.wakeAt = latest.wakeAt;
  const source = first ? forkSource(first) : undefined;
  if (source) view.forkedFrom = source;
  if (latest.metrics.runRequestCharge) view.requestCharge = latest.metrics.runRequestCharge;
  return view;
}

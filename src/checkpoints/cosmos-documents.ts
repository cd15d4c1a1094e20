import { isTerminal, type Checkpoint } from '../engine/checkpoint';
import { checkpointShapeProblem } from './checkpoint-document';
import { CorruptCheckpointError } from './errors';
import { stepId } from './ids';
import type { RunSummary } from './store';

/** What a document in the container is; every query filters on it. */
export const CHECKPOINT_KIND = 'checkpoint';
export const RUN_KIND = 'run';
/** The id of a run's one run document, in the run's partition; steps are all digits, so it never collides. */
export const RUN_DOCUMENT_ID = 'run';

/** A checkpoint as stored: the checkpoint's own fields plus id, kind and an optional TTL. */
export type CheckpointDocument = Checkpoint & { id: string; kind: typeof CHECKPOINT_KIND; ttl?: number };

/**
 * One small document per run that `listRuns` queries instead of every checkpoint. Written when a
 * run starts and when it ends, never per superstep: while the run is active, `status`, `step` and
 * `updatedAt` are those of its start, and readers ask the run's latest checkpoint for the truth.
 */
export interface RunDocument extends RunSummary {
  id: typeof RUN_DOCUMENT_ID;
  kind: typeof RUN_KIND;
  ttl?: number;
}

/** Fields Cosmos adds, and ours that are not part of a checkpoint; removed on the way out. */
const STORAGE_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn', 'id', 'kind', 'ttl'] as const;

export function checkpointDocument(checkpoint: Checkpoint, ttlSeconds: number | undefined): CheckpointDocument {
  const document: CheckpointDocument = { ...checkpoint, id: stepId(checkpoint.step), kind: CHECKPOINT_KIND };
  if (ttlSeconds !== undefined) document.ttl = ttlSeconds;
  return document;
}

/**
 * The run document a checkpoint implies. Only a terminal status is final; an active run's
 * document records `Pending` for a checkpoint that is not saved yet (see the store's save).
 */
export function runDocument(run: RunSummary, ttlSeconds: number | undefined): RunDocument {
  const document: RunDocument = {
    id: RUN_DOCUMENT_ID,
    kind: RUN_KIND,
    runId: run.runId,
    workflow: run.workflow,
    status: run.status,
    step: run.step,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
  // Only a finished run's document expires: an active run must stay visible to the sweeper.
  if (ttlSeconds !== undefined && isTerminal(run.status)) document.ttl = ttlSeconds;
  return document;
}

/** Size of a document as Cosmos measures it: its JSON in UTF-8. */
export function documentBytes(document: object): number {
  return Buffer.byteLength(JSON.stringify(document), 'utf8');
}

/** The checkpoint inside a stored document, exactly as it was saved; anything else is corrupt. */
export function checkpointFromDocument(document: unknown, location: string, runId: string, step: number): Checkpoint {
  const checkpoint = withoutStorageFields(document);
  const problem = checkpointShapeProblem(checkpoint);
  if (problem) throw new CorruptCheckpointError(location, problem);
  const found = checkpoint as unknown as Checkpoint;
  if (found.runId !== runId || found.step !== step) {
    throw new CorruptCheckpointError(location, `it holds checkpoint ${found.step} of run '${found.runId}', not checkpoint ${step} of run '${runId}'`);
  }
  return found;
}

function withoutStorageFields(document: unknown): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const copy: Record<string, unknown> = { ...(document as Record<string, unknown>) };
  for (const field of STORAGE_FIELDS) delete copy[field];
  return copy;
}

/** A run document as a summary, once checked; `undefined` when the document is not one. */
export function runSummaryFromDocument(document: unknown): RunSummary | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const { runId, workflow, status, step, createdAt, updatedAt } = document as Partial<RunDocument>;
  if (typeof runId !== 'string' || typeof workflow !== 'string' || typeof status !== 'string' || typeof step !== 'number') return undefined;
  if (typeof createdAt !== 'string' || typeof updatedAt !== 'string') return undefined;
  return { runId, workflow, status, step, createdAt, updatedAt };
}

import type { SqlParameter, SqlQuerySpec } from '@azure/cosmos';
import type { RunStatus } from '../engine/checkpoint';
import { CHECKPOINT_KIND, RUN_KIND } from './cosmos-documents';

/*
 * Every query the store sends. Each filters and sorts only on indexed paths (INDEXED_PATHS).
 * Queries of one run also name the run in the WHERE clause besides passing it as the partition
 * key: that costs nothing and keeps them correct on servers that ignore the partition key.
 * No OFFSET/LIMIT anywhere: its cost grows with the offset; paging uses continuations instead.
 */

const IN_RUN = 'c.runId = @runId AND c.kind = @kind';

/** The newest checkpoint of a run, whole. */
export function latestCheckpointQuery(runId: string): SqlQuerySpec {
  return {
    query: `SELECT TOP 1 * FROM c WHERE ${IN_RUN} ORDER BY c.step DESC`,
    parameters: [
      { name: '@runId', value: runId },
      { name: '@kind', value: CHECKPOINT_KIND },
    ],
  };
}

/** The fields of a run's newest checkpoint that describe the run; never its state. */
export function latestRunFieldsQuery(runId: string): SqlQuerySpec {
  return {
    query: `SELECT TOP 1 c.runId, c.workflow, c.status, c.step, c.createdAt, c.runCreatedAt FROM c WHERE ${IN_RUN} ORDER BY c.step DESC`,
    parameters: [
      { name: '@runId', value: runId },
      { name: '@kind', value: CHECKPOINT_KIND },
    ],
  };
}

/**
 * Up to `top` of a run's checkpoint summaries, newest first, below step `before` when given: the
 * page cursor is a step, so a page is an index range seek and stays right while steps are added.
 */
export function checkpointSummariesQuery(runId: string, top: number, before?: number): SqlQuerySpec {
  const parameters: SqlParameter[] = [
    { name: '@runId', value: runId },
    { name: '@kind', value: CHECKPOINT_KIND },
  ];
  if (before !== undefined) parameters.push({ name: '@before', value: before });
  return {
    query:
      `SELECT TOP ${wholeNumber(top)} c.runId, c.step, c.status, c.transition, c.createdAt, c.workflow, c.metrics ` +
      `FROM c WHERE ${IN_RUN}${before !== undefined ? ' AND c.step < @before' : ''} ORDER BY c.step DESC`,
    parameters,
  };
}

/** A run's steps, ascending. */
export function stepsQuery(runId: string): SqlQuerySpec {
  return {
    query: `SELECT VALUE c.step FROM c WHERE ${IN_RUN} ORDER BY c.step ASC`,
    parameters: [
      { name: '@runId', value: runId },
      { name: '@kind', value: CHECKPOINT_KIND },
    ],
  };
}

/** Every document of a run (checkpoints and the run document), for `deleteRun`. */
export function runDocumentIdsQuery(runId: string): SqlQuerySpec {
  return {
    query: 'SELECT c.id, c.kind FROM c WHERE c.runId = @runId',
    parameters: [{ name: '@runId', value: runId }],
  };
}

export interface RunDocumentFilter {
  /** Run documents whose recorded status is one of these; any status when absent. */
  statuses?: readonly RunStatus[];
  workflow?: string;
  /** Only documents with `updatedAt` strictly before this ISO time. */
  updatedBefore?: string;
}

/** Run documents across all partitions, most recently updated first. */
export function runDocumentsQuery(filter: RunDocumentFilter): SqlQuerySpec {
  const conditions = ['c.kind = @kind'];
  const parameters: SqlParameter[] = [{ name: '@kind', value: RUN_KIND }];
  if (filter.statuses !== undefined) {
    conditions.push(`c.status IN (${filter.statuses.map((_, index) => `@status${index}`).join(', ')})`);
    filter.statuses.forEach((status, index) => parameters.push({ name: `@status${index}`, value: status }));
  }
  if (filter.workflow !== undefined) {
    conditions.push('c.workflow = @workflow');
    parameters.push({ name: '@workflow', value: filter.workflow });
  }
  if (filter.updatedBefore !== undefined) {
    conditions.push('c.updatedAt < @updatedBefore');
    parameters.push({ name: '@updatedBefore', value: filter.updatedBefore });
  }
  return {
    query: `SELECT c.runId, c.workflow, c.status, c.step, c.createdAt, c.updatedAt FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.updatedAt DESC`,
    parameters,
  };
}

function wholeNumber(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`TOP needs a whole number, got ${value}`);
  return value;
}

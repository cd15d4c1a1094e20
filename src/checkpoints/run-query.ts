import { RUN_STATUSES, type RunStatus } from '../engine/checkpoint';
import { InvalidCheckpointArgumentError } from './errors';
import { decodeRunCursor, encodeRunCursor, resolvePageLimit, takePage, type RunCursor } from './paging';
import type { Page, RunQuery, RunSummary } from './store';

/** A `RunQuery` whose every field has been checked. */
export interface ParsedRunQuery {
  workflow?: string;
  /** Runs whose latest checkpoint has one of these statuses; sorted, without repeats. */
  statuses?: RunStatus[];
  /** Normalized to `Date.prototype.toISOString` form, so it compares with stored times as a string. */
  updatedBefore?: string;
  limit: number;
  after?: RunCursor;
}

export function parseRunQuery(query: RunQuery | undefined): ParsedRunQuery {
  if (query === undefined) return { limit: resolvePageLimit(undefined) };
  if (typeof query !== 'object' || query === null) {
    throw new InvalidCheckpointArgumentError('invalid run query: pass an object such as { workflow, status, limit }');
  }
  const parsed: ParsedRunQuery = { limit: resolvePageLimit(query.limit) };
  if (query.workflow !== undefined) {
    if (typeof query.workflow !== 'string' || query.workflow === '') {
      throw new InvalidCheckpointArgumentError(`invalid workflow filter ${JSON.stringify(query.workflow)}: use a non-empty workflow name`);
    }
    parsed.workflow = query.workflow;
  }
  if (query.status !== undefined) {
    const statuses: readonly unknown[] = Array.isArray(query.status) ? query.status : [query.status];
    const unknown = statuses.find((status) => !(RUN_STATUSES as readonly unknown[]).includes(status));
    if (statuses.length === 0 || unknown !== undefined) {
      throw new InvalidCheckpointArgumentError(`invalid status filter ${JSON.stringify(query.status)}: use one or more of ${RUN_STATUSES.join(', ')}`);
    }
    parsed.statuses = RUN_STATUSES.filter((status) => statuses.includes(status));
  }
  if (query.updatedBefore !== undefined) {
    const time = typeof query.updatedBefore === 'string' ? Date.parse(query.updatedBefore) : Number.NaN;
    if (Number.isNaN(time)) {
      throw new InvalidCheckpointArgumentError(`invalid updatedBefore ${JSON.stringify(query.updatedBefore)}: use an ISO date-time`);
    }
    parsed.updatedBefore = new Date(time).toISOString();
  }
  const after = decodeRunCursor(query.continuation);
  if (after) parsed.after = after;
  return parsed;
}

/** Most recently updated first; the run id breaks ties so every run has one place in the order. */
export function compareRunsNewestFirst(a: RunCursor, b: RunCursor): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? -1 : 1;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

export function matchesRunQuery(run: RunSummary, query: ParsedRunQuery): boolean {
  return (
    (query.workflow === undefined || run.workflow === query.workflow) &&
    (query.statuses === undefined || query.statuses.includes(run.status)) &&
    (query.updatedBefore === undefined || run.updatedAt < query.updatedBefore)
  );
}

/** Filters, orders and pages the summaries of every run, for stores that hold them all at hand. */
export function selectRunPage(runs: readonly RunSummary[], query: ParsedRunQuery): Page<RunSummary> {
  const sorted = runs.filter((run) => matchesRunQuery(run, query)).sort(compareRunsNewestFirst);
  const { after } = query;
  return takePage(
    sorted,
    query.limit,
    (run) => after === undefined || compareRunsNewestFirst(run, after) > 0,
    (run) => encodeRunCursor({ updatedAt: run.updatedAt, runId: run.runId }),
  );
}

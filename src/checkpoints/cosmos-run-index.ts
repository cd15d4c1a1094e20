import { createHash } from 'node:crypto';
import type { Container, SqlQuerySpec } from '@azure/cosmos';
import { RUN_STATUSES, isTerminal, type Checkpoint, type RunStatus } from '../engine/checkpoint';
import { RUN_KIND, runDocument, runSummaryFromDocument } from './cosmos-documents';
import { cosmosStatus, toStoreError, type CosmosLocation } from './cosmos-errors';
import { latestRunFieldsQuery, runDocumentsQuery } from './cosmos-queries';
import { runSummaryOf } from './checkpoint-document';
import { InvalidCheckpointArgumentError } from './errors';
import { compareRunsNewestFirst, matchesRunQuery, parseRunQuery, type ParsedRunQuery } from './run-query';
import type { Page, RunQuery, RunSummary } from './store';

/*
 * How `listRuns` avoids reading every checkpoint of every run.
 *
 * Each run has one small run document in its own partition (see RunDocument). It is created when
 * the run starts and replaced when the run ends, and never touched in between, so a superstep
 * stays one point read and one create. The price: while a run is active its run document knows
 * only how the run started. So `listRuns` queries run documents (indexed fields only), trusts the
 * final ones, and for each active one reads the run's latest checkpoint (TOP 1 in its partition,
 * state not projected) to report the true status, step and update time and to apply the status
 * and updatedBefore filters to those. Filters are therefore exact, which the stalled-run sweeper
 * (status Running, updatedBefore) relies on. Order is exact within a page; across pages an active
 * run is placed by when it started, because the query can only sort on what the documents hold.
 *
 * A crash between saving a final checkpoint and replacing the run document leaves the document
 * active; the next listing that meets it sees the final checkpoint and repairs the document.
 */

const ACTIVE_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((status) => !isTerminal(status));
/** Latest checkpoints read at the same time while resolving one page of active runs. */
const LATEST_READ_CONCURRENCY = 16;

/** True when saving this checkpoint starts a run, so its run document must exist first. */
export function startsRun(checkpoint: Checkpoint): boolean {
  return checkpoint.step === 0 || checkpoint.transition === 'start' || checkpoint.transition === 'fork';
}

/**
 * Creates the run document before the run's first checkpoint, so no run can exist that listings
 * (and the sweeper) cannot see. An existing one (a retried start) is left alone; the checkpoint's
 * create decides who wins. A run that starts already finished is recorded `Pending` here and made
 * final after its checkpoint exists, so a crash in between never lists a run that has no checkpoint.
 * Returns the request charge.
 */
export async function recordRunStart(container: Container, checkpoint: Checkpoint, ttlSeconds: number | undefined, where: CosmosLocation): Promise<number> {
  const status = isTerminal(checkpoint.status) ? 'Pending' : checkpoint.status;
  const document = runDocument({ ...runSummaryOf(checkpoint), status }, ttlSeconds);
  try {
    return (await container.items.create(document)).requestCharge;
  } catch (error) {
    if (cosmosStatus(error) === 409) return chargeOf(error);
    throw toStoreError(error, `recording the start of run '${checkpoint.runId}'`, where);
  }
}

/**
 * Makes the run document final after a checkpoint with a terminal status was saved. Best effort:
 * the checkpoint is saved by then, so failing the save would be wrong; a run document left active
 * is repaired by the next listing that meets it. Returns the charge (0 when it failed).
 */
export async function recordRunEnd(container: Container, run: RunSummary, ttlSeconds: number | undefined): Promise<number> {
  try {
    return (await container.items.upsert(runDocument(run, ttlSeconds))).requestCharge;
  } catch {
    return 0;
  }
}

/** Like `runSummaryOf`, for the projected fields of a latest-checkpoint query. */
function runFields(checkpoint: Pick<Checkpoint, 'runId' | 'workflow' | 'status' | 'step' | 'runCreatedAt' | 'createdAt'>): RunSummary {
  const { runId, workflow, status, step, runCreatedAt, createdAt } = checkpoint;
  return { runId, workflow, status, step, createdAt: runCreatedAt, updatedAt: createdAt };
}

/** A `listRuns` query, checked and turned into the run document query, before any I/O. */
export interface PreparedRunListing {
  parsed: ParsedRunQuery;
  fingerprint: string;
  sdkToken: string | undefined;
  spec: SqlQuerySpec;
}

export function prepareRunListing(query: RunQuery | undefined): PreparedRunListing {
  // The continuation is ours, not the shared cursor: decode it here, check the rest as usual.
  const parsed = parseRunQuery(query === undefined ? undefined : { ...query, continuation: undefined });
  const fingerprint = filterFingerprint(parsed);
  const sdkToken = decodeRunsToken(query?.continuation, fingerprint);
  const spec = runDocumentsQuery({
    ...(parsed.statuses === undefined ? {} : { statuses: candidateStatuses(parsed.statuses) }),
    ...(parsed.workflow === undefined ? {} : { workflow: parsed.workflow }),
    // Safe on run documents: an active run's true update time is never earlier than its document's.
    ...(parsed.updatedBefore === undefined ? {} : { updatedBefore: parsed.updatedBefore }),
  });
  return { parsed, fingerprint, sdkToken, spec };
}

/** Runs by their latest checkpoint, most recently updated first, through run documents. */
export async function listRunsFromIndex(container: Container, listing: PreparedRunListing, ttlSeconds: number | undefined, where: CosmosLocation): Promise<Page<RunSummary>> {
  const { parsed, fingerprint, spec } = listing;
  let sdkToken = listing.sdkToken;
  const items: RunSummary[] = [];
  try {
    do {
      // Ask for no more than the page still needs, so every document fetched is used and the
      // continuation never skips any.
      const page = await container.items
        .query(spec, { maxItemCount: parsed.limit - items.length, ...(sdkToken === undefined ? {} : { continuationToken: sdkToken }) })
        .fetchNext();
      sdkToken = page.continuationToken;
      const runs = await resolveRuns(container, page.resources, ttlSeconds);
      items.push(...runs.filter((run) => matchesRunQuery(run, parsed)));
    } while (items.length < parsed.limit && sdkToken !== undefined);
  } catch (error) {
    // The SDK token inside a continuation is opaque to us; one Cosmos refuses was not handed out as is.
    if (listing.sdkToken !== undefined && cosmosStatus(error) === 400) throw invalidToken('the store refused the position it holds');
    throw toStoreError(error, 'listing runs', where);
  }
  items.sort(compareRunsNewestFirst);
  return sdkToken === undefined ? { items } : { items, continuation: encodeRunsToken(sdkToken, fingerprint) };
}

/** Run documents whose recorded status may belong to a run that has one of `statuses` now. */
function candidateStatuses(statuses: readonly RunStatus[]): readonly RunStatus[] {
  return [...new Set([...statuses.filter(isTerminal), ...ACTIVE_STATUSES])];
}

/** Each run as it is now: final documents as they are, active ones from their latest checkpoint. */
async function resolveRuns(container: Container, documents: unknown[], ttlSeconds: number | undefined): Promise<RunSummary[]> {
  const recorded = documents.map(runSummaryFromDocument).filter((run): run is RunSummary => run !== undefined);
  const resolved = await mapConcurrently(recorded, LATEST_READ_CONCURRENCY, async (run) => {
    if (isTerminal(run.status)) return run;
    const latest = await latestRunFields(container, run.runId);
    // No checkpoint: a start that crashed before its first checkpoint, or one whose checkpoints were deleted.
    if (latest === undefined) return undefined;
    if (isTerminal(latest.status)) await recordRunEnd(container, latest, ttlSeconds);
    return latest;
  });
  return resolved.filter((run): run is RunSummary => run !== undefined);
}

async function latestRunFields(container: Container, runId: string): Promise<RunSummary | undefined> {
  const { resources } = await container.items.query(latestRunFieldsQuery(runId), { partitionKey: runId }).fetchAll();
  const [latest] = resources as Array<Pick<Checkpoint, 'runId' | 'workflow' | 'status' | 'step' | 'runCreatedAt' | 'createdAt'>>;
  return latest === undefined ? undefined : runFields(latest);
}

async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

function chargeOf(error: unknown): number {
  const charge = (error as { requestCharge?: unknown } | null)?.requestCharge;
  return typeof charge === 'number' ? charge : 0;
}

// Continuation tokens: the SDK's own, wrapped with the filters they were made for.

const TOKEN_KIND = 'cosmos-runs';

function filterFingerprint(query: ParsedRunQuery): string {
  const filters = JSON.stringify([RUN_KIND, query.workflow ?? null, query.statuses ?? null, query.updatedBefore ?? null]);
  return createHash('sha256').update(filters).digest('base64url').slice(0, 16);
}

function encodeRunsToken(sdkToken: string, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: TOKEN_KIND, f: fingerprint, t: sdkToken }), 'utf8').toString('base64url');
}

function decodeRunsToken(token: unknown, fingerprint: string): string | undefined {
  if (token === undefined) return undefined;
  let fields: { v?: unknown; k?: unknown; f?: unknown; t?: unknown } | undefined;
  if (typeof token === 'string' && /^[A-Za-z0-9_-]+$/.test(token)) {
    try {
      fields = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof fields;
    } catch {
      fields = undefined;
    }
  }
  if (
    typeof fields !== 'object' ||
    fields === null ||
    fields.v !== 1 ||
    fields.k !== TOKEN_KIND ||
    typeof fields.t !== 'string' ||
    // It travels in an HTTP header: printable ASCII only.
    !/^[\x20-\x7e]+$/.test(fields.t)
  ) {
    throw invalidToken('it is not a run list continuation this store handed out');
  }
  if (fields.f !== fingerprint) throw invalidToken('it continues a listing with other filters');
  return fields.t;
}

function invalidToken(reason: string): InvalidCheckpointArgumentError {
  return new InvalidCheckpointArgumentError(`invalid continuation token: ${reason}; pass back the continuation of the previous page unchanged, with the same filters`);
}

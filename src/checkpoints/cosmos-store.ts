import type { Container, SqlQuerySpec } from '@azure/cosmos';
import { isTerminal, type Checkpoint, type CheckpointSummary } from '../engine/checkpoint';
import { assertCheckpointToSave, runSummaryOf } from './checkpoint-document';
import { resolveCosmosConnection, type CosmosConnection, type CosmosConnectionOptions } from './cosmos-connection';
import { ensureCheckpointContainer } from './cosmos-container';
import { CHECKPOINT_KIND, RUN_KIND, checkpointDocument, checkpointFromDocument, documentBytes } from './cosmos-documents';
import { OWNER_RESOURCE_MISSING_SUBSTATUS, containerMissingError, cosmosStatus, cosmosSubstatus, toStoreError, type CosmosLocation } from './cosmos-errors';
import { MAX_ITEM_BYTES } from './cosmos-layout';
import { checkpointSummariesQuery, latestCheckpointQuery, runDocumentIdsQuery, stepsQuery } from './cosmos-queries';
import { listRunsFromIndex, prepareRunListing, recordRunEnd, recordRunStart, startsRun } from './cosmos-run-index';
import { CosmosSettingsError, MAX_TTL_SECONDS } from './cosmos-settings';
import { CheckpointConflictError, CheckpointNotFoundError, CheckpointStoreError, CheckpointTooLargeError } from './errors';
import { assertRunId, assertStep, stepId } from './ids';
import { decodeStepCursor, encodeStepCursor, resolvePageLimit } from './paging';
import type { CheckpointStore, LoadOptions, Page, PageOptions, RunQuery, RunSummary, SaveResult } from './store';

export interface CosmosCheckpointStoreOptions extends CosmosConnectionOptions {
  /**
   * Create the database and container when missing, and check the container found (default true).
   * Turn it off where infra provisions them: then the store makes no request before the first operation's.
   */
  createIfMissing?: boolean;
  /** Every checkpoint expires this many seconds after it was written; kept forever when absent. */
  ttlSeconds?: number;
}

/** Documents of one run deleted at the same time by `deleteRun`. */
const DELETE_CONCURRENCY = 16;

/**
 * Checkpoints in Azure Cosmos DB for NoSQL: one document per checkpoint, partitioned by run id, id
 * = the zero-padded step, plus one run document per run for `listRuns` (see cosmos-run-index).
 *
 * A superstep costs one point read (`load`) and one create (`save`); starting a run adds the run
 * document's create, and ending one its replacement. `save` returns the request charge and
 * `load` reports it through `onCharge`; the store logs nothing itself.
 */
export class CosmosCheckpointStore implements CheckpointStore, AsyncDisposable {
  readonly databaseId: string;
  readonly containerId: string;
  private readonly connection: CosmosConnection;
  private readonly createIfMissing: boolean;
  private readonly ttlSeconds: number | undefined;
  private readyContainer: Promise<Container> | undefined;
  private closed = false;

  /** Checks the options and makes no request; the first operation connects. */
  constructor(options: CosmosCheckpointStoreOptions) {
    this.connection = resolveCosmosConnection(options);
    this.databaseId = this.connection.databaseId;
    this.containerId = this.connection.containerId;
    const { createIfMissing = true, ttlSeconds } = options;
    if (typeof createIfMissing !== 'boolean') throw new CosmosSettingsError(`createIfMissing must be true or false, not ${JSON.stringify(createIfMissing)}`);
    if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS)) {
      throw new CosmosSettingsError(`ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, not ${String(ttlSeconds)}; leave it out to keep checkpoints forever`);
    }
    this.createIfMissing = createIfMissing;
    this.ttlSeconds = ttlSeconds;
  }

  /** True when `close()` disposes the client: the store made it from an endpoint or connection string. */
  get ownsClient(): boolean {
    return this.connection.ownsClient;
  }

  async save(checkpoint: Checkpoint): Promise<SaveResult> {
    assertCheckpointToSave(checkpoint);
    const { runId, step } = checkpoint;
    const document = checkpointDocument(checkpoint, this.ttlSeconds);
    const bytes = documentBytes(document);
    if (bytes > MAX_ITEM_BYTES) throw new CheckpointTooLargeError(runId, step, bytes, MAX_ITEM_BYTES);
    const container = await this.ready();
    let requestCharge = 0;
    if (startsRun(checkpoint)) requestCharge += await recordRunStart(container, checkpoint, this.ttlSeconds, this.where);
    try {
      requestCharge += (await container.items.create(document)).requestCharge;
    } catch (error) {
      const status = cosmosStatus(error);
      if (status === 409) throw new CheckpointConflictError(runId, step);
      if (status === 413) throw new CheckpointTooLargeError(runId, step, bytes, MAX_ITEM_BYTES);
      throw toStoreError(error, `saving checkpoint ${step} of run '${runId}'`, this.where);
    }
    if (isTerminal(checkpoint.status)) requestCharge += await recordRunEnd(container, runSummaryOf(checkpoint), this.ttlSeconds);
    return { bytes, requestCharge };
  }

  async load(runId: string, step: number, options: LoadOptions = {}): Promise<Checkpoint> {
    assertRunId(runId);
    assertStep(step);
    const container = await this.ready();
    const id = stepId(step);
    let response;
    try {
      // The SDK answers a missing item with a 404 response rather than an error.
      response = await container.item(id, runId).read();
    } catch (error) {
      throw toStoreError(error, `loading checkpoint ${step} of run '${runId}'`, this.where);
    }
    options.onCharge?.(response.requestCharge);
    if (response.statusCode === 404 || response.resource === undefined) {
      if (response.substatus === OWNER_RESOURCE_MISSING_SUBSTATUS) throw containerMissingError(this.where);
      throw new CheckpointNotFoundError(runId, step);
    }
    return checkpointFromDocument(response.resource, this.location(runId, id), runId, step);
  }

  async latest(runId: string): Promise<Checkpoint | undefined> {
    assertRunId(runId);
    const [document] = await this.queryRun<{ step?: unknown; id?: unknown }>(runId, latestCheckpointQuery(runId), `reading the latest checkpoint of run '${runId}'`);
    if (document === undefined) return undefined;
    const step = typeof document.step === 'number' ? document.step : -1;
    return checkpointFromDocument(document, this.location(runId, String(document.id)), runId, step);
  }

  async list(runId: string, options: PageOptions = {}): Promise<Page<CheckpointSummary>> {
    assertRunId(runId);
    const limit = resolvePageLimit(options.limit);
    const cursor = decodeStepCursor(options.continuation, runId);
    // One more than the page: if it comes back, there is a next page.
    const spec = checkpointSummariesQuery(runId, limit + 1, cursor?.before);
    const found = await this.queryRun<CheckpointSummary>(runId, spec, `listing the checkpoints of run '${runId}'`);
    if (found.length <= limit) return { items: found };
    const items = found.slice(0, limit);
    return { items, continuation: encodeStepCursor({ runId, before: items[items.length - 1]!.step }) };
  }

  async listIds(runId: string): Promise<number[]> {
    assertRunId(runId);
    return this.queryRun<number>(runId, stepsQuery(runId), `listing the steps of run '${runId}'`);
  }

  async delete(runId: string, step: number): Promise<boolean> {
    assertRunId(runId);
    assertStep(step);
    const container = await this.ready();
    return this.deleteDocument(container, runId, stepId(step), `deleting checkpoint ${step} of run '${runId}'`);
  }

  /**
   * Queries the run's document ids and deletes them one by one, the run document last, so an
   * interrupted purge still lists the run and can be repeated. (Cosmos's delete-by-partition-key
   * is a preview feature that must be enabled per account and does not say how much it removed.)
   */
  async deleteRun(runId: string): Promise<number> {
    assertRunId(runId);
    const container = await this.ready();
    const documents = await this.queryRun<{ id: string; kind?: string }>(runId, runDocumentIdsQuery(runId), `listing the documents of run '${runId}'`);
    const checkpoints = documents.filter((document) => document.kind === CHECKPOINT_KIND);
    let deleted = 0;
    for (let start = 0; start < checkpoints.length; start += DELETE_CONCURRENCY) {
      const batch = checkpoints.slice(start, start + DELETE_CONCURRENCY);
      const results = await Promise.all(batch.map(({ id }) => this.deleteDocument(container, runId, id, `deleting run '${runId}'`)));
      deleted += results.filter(Boolean).length;
    }
    for (const { id } of documents.filter((document) => document.kind === RUN_KIND)) {
      await this.deleteDocument(container, runId, id, `deleting run '${runId}'`);
    }
    return deleted;
  }

  async listRuns(query?: RunQuery): Promise<Page<RunSummary>> {
    const listing = prepareRunListing(query);
    const container = await this.ready();
    return listRunsFromIndex(container, listing, this.ttlSeconds, this.where);
  }

  /** Disposes the client if the store made it; a client, database or container handed in stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The container, created first when allowed. Tried again on the next call if it failed. */
  private ready(): Promise<Container> {
    if (this.closed) return Promise.reject(new CheckpointStoreError('the Cosmos checkpoint store is closed'));
    if (this.readyContainer === undefined) {
      const container = this.connection.container();
      const ready = this.createIfMissing ? ensureCheckpointContainer(container, this.ttlSeconds).then(() => container) : Promise.resolve(container);
      this.readyContainer = ready;
      ready.catch(() => {
        if (this.readyContainer === ready) this.readyContainer = undefined;
      });
    }
    return this.readyContainer;
  }

  private async queryRun<T>(runId: string, spec: SqlQuerySpec, action: string): Promise<T[]> {
    const container = await this.ready();
    try {
      const { resources } = await container.items.query<T>(spec, { partitionKey: runId }).fetchAll();
      return resources;
    } catch (error) {
      throw toStoreError(error, action, this.where);
    }
  }

  private async deleteDocument(container: Container, runId: string, id: string, action: string): Promise<boolean> {
    try {
      await container.item(id, runId).delete();
      return true;
    } catch (error) {
      if (cosmosStatus(error) === 404) {
        if (cosmosSubstatus(error) === OWNER_RESOURCE_MISSING_SUBSTATUS) throw containerMissingError(this.where, error);
        return false;
      }
      throw toStoreError(error, action, this.where);
    }
  }

  private get where(): CosmosLocation {
    return { databaseId: this.databaseId, containerId: this.containerId };
  }

  private location(runId: string, id: string): string {
    return `cosmos:${this.databaseId}/${this.containerId}/${runId}/${id}`;
  }
}

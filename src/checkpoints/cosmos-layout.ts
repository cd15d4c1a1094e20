/**
 * How checkpoints are laid out in Azure Cosmos DB for NoSQL. `infra/` provisions the same
 * container; a test compares the compiled Bicep with these constants.
 */
export const DEFAULT_COSMOS_DATABASE = 'supersteps';
export const DEFAULT_COSMOS_CONTAINER = 'checkpoints';

/** One logical partition per run: a run's reads stay in one partition and no workflow is hot. */
export const PARTITION_KEY_PATH = '/runId';

/** Cosmos DB refuses items over 2 MB; the store refuses them first, with a clear error. */
export const MAX_ITEM_BYTES = 2 * 1024 * 1024;

/**
 * Index only what queries filter or sort on. State, messages and outputs are never indexed,
 * so a write costs the same whatever the state holds.
 */
export const INDEXED_PATHS = ['/runId/?', '/step/?', '/kind/?', '/workflow/?', '/status/?', '/createdAt/?', '/updatedAt/?'] as const;

export const INDEXING_POLICY = {
  indexingMode: 'consistent',
  automatic: true,
  includedPaths: INDEXED_PATHS.map((path) => ({ path })),
  excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }],
} as const;

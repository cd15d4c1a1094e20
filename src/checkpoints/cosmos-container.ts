import type { Container, ContainerDefinition, IndexingPolicy } from '@azure/cosmos';
import { INDEXING_POLICY, PARTITION_KEY_PATH } from './cosmos-layout';
import { cosmosStatus, toStoreError, type CosmosLocation } from './cosmos-errors';
import { CheckpointStoreError } from './errors';

/**
 * The container the store needs: partitioned by run, indexing only what is queried, and TTL on
 * but with no default expiry (`defaultTtl: -1`), so only items that carry a `ttl` expire.
 */
export function checkpointContainerDefinition(containerId: string): ContainerDefinition {
  return {
    id: containerId,
    partitionKey: { paths: [PARTITION_KEY_PATH] },
    indexingPolicy: indexingPolicy(),
    defaultTtl: -1,
  };
}

function indexingPolicy(): IndexingPolicy {
  return {
    indexingMode: INDEXING_POLICY.indexingMode,
    automatic: INDEXING_POLICY.automatic,
    includedPaths: INDEXING_POLICY.includedPaths.map(({ path }) => ({ path })),
    excludedPaths: INDEXING_POLICY.excludedPaths.map(({ path }) => ({ path })),
  };
}

/**
 * Creates the database and the container when missing (3-4 requests, once per store), then checks
 * that the container it found can hold checkpoints: partitioned by run id, and with TTL on when
 * checkpoints should expire (without a `defaultTtl` Cosmos ignores every item's `ttl`).
 */
export async function ensureCheckpointContainer(container: Container, ttlSeconds: number | undefined): Promise<void> {
  const where: CosmosLocation = { databaseId: container.database.id, containerId: container.id };
  let definition: ContainerDefinition | undefined;
  try {
    const { database } = await container.database.client.databases.createIfNotExists({ id: where.databaseId });
    ({ resource: definition } = await database.containers.createIfNotExists(checkpointContainerDefinition(where.containerId)));
  } catch (error) {
    if (cosmosStatus(error) === 403) {
      throw new CheckpointStoreError(
        `could not create database '${where.databaseId}' or container '${where.containerId}' (status 403): an Azure AD identity ` +
          'may not create them through the data plane; provision them (infra does) and set COSMOS_CREATE_IF_MISSING=false',
        { cause: error },
      );
    }
    throw toStoreError(error, 'creating the database and container', where);
  }
  const paths = definition?.partitionKey?.paths ?? [];
  if (paths.length !== 1 || paths[0] !== PARTITION_KEY_PATH) {
    throw new CheckpointStoreError(
      `container '${where.containerId}' of database '${where.databaseId}' is partitioned by ${JSON.stringify(paths)}, ` +
        `but checkpoints need the partition key ${PARTITION_KEY_PATH}: use another container (COSMOS_CONTAINER)`,
    );
  }
  if (ttlSeconds !== undefined && (definition?.defaultTtl === undefined || definition.defaultTtl === null)) {
    throw new CheckpointStoreError(
      `CHECKPOINT_TTL_SECONDS is set but container '${where.containerId}' has TTL off, so checkpoints would never expire: ` +
        `set the container's default TTL to -1 (on, no default expiry) or leave CHECKPOINT_TTL_SECONDS unset`,
    );
  }
}

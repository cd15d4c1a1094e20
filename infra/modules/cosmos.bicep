// Azure Cosmos DB for NoSQL: the account, the database and the checkpoint container.
// The layout below must match src/checkpoints/cosmos-layout.ts; test/infra/arm.test.ts compares them.

@description('Name of the Cosmos DB account (3-44 lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param name string

@description('Azure region of the account (a single region).')
param location string

param tags object

param databaseName string

param containerName string

@description('serverless bills per request and per GB stored; autoscale reserves throughput that scales between 10% and 100% of the maximum.')
@allowed([
  'serverless'
  'autoscale'
])
param capacityMode string

@description('Maximum RU/s of the container when capacityMode is autoscale (1000 or more, in steps of 1000).')
@minValue(1000)
param autoscaleMaxThroughput int

// One logical partition per run: a run's reads stay in one partition and no workflow is hot.
var partitionKeyPath = '/runId'

// Index only what queries filter or sort on; state, messages and outputs are never indexed.
var indexingPolicy = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    { path: '/runId/?' }
    { path: '/step/?' }
    { path: '/kind/?' }
    { path: '/workflow/?' }
    { path: '/status/?' }
    { path: '/createdAt/?' }
    { path: '/updatedAt/?' }
  ]
  excludedPaths: [
    { path: '/*' }
    { path: '/"_etag"/?' }
  ]
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: capacityMode == 'serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      partitionKey: {
        paths: [
          partitionKeyPath
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: indexingPolicy
      // TTL on, nothing expires by default: the app sets a per-checkpoint ttl when
      // CHECKPOINT_TTL_SECONDS is above zero.
      defaultTtl: -1
    }
    options: capacityMode == 'autoscale'
      ? {
          autoscaleSettings: {
            maxThroughput: autoscaleMaxThroughput
          }
        }
      : {}
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerName string = container.name

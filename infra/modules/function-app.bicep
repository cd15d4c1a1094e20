// A Flex Consumption plan and the function app on it. Every setting that reaches a service names
// an endpoint and an identity, never a key: the app signs in as its user-assigned identity.

param planName string

param appName string

@description('Azure region of the plan and the app (a region that offers Flex Consumption).')
param location string

param tags object

@description('Value of the azd-service-name tag: the service name in azure.yaml.')
param serviceName string

@description('Node.js major version: the one package.json engines asks for.')
param nodeVersion string

@description('Upper bound on instances the app scales out to (40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

param identityResourceId string

param identityClientId string

param storageAccountName string

param storageBlobEndpoint string

param storageQueueEndpoint string

param storageTableEndpoint string

param deploymentContainerUrl string

param stepQueueName string

param cosmosEndpoint string

param cosmosDatabaseName string

param cosmosContainerName string

@description('Seconds a checkpoint lives before Cosmos DB deletes it; 0 keeps checkpoints forever.')
@minValue(0)
param checkpointTtlSeconds int

param applicationInsightsConnectionString string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION here:
// functionAppConfig.runtime above says the same thing.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
    AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
    AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    AZURE_CLIENT_ID: identityClientId
    CHECKPOINT_STORE: 'cosmos'
    COSMOS_ENDPOINT: cosmosEndpoint
    COSMOS_DATABASE: cosmosDatabaseName
    COSMOS_CONTAINER: cosmosContainerName
    COSMOS_CREATE_IF_MISSING: 'false'
    STEP_QUEUE: stepQueueName
    CHECKPOINT_TTL_SECONDS: string(checkpointTtlSeconds)
  }
}

output name string = app.name
output uri string = 'https://${app.properties.defaultHostName}'

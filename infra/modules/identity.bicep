// The one identity the function app uses for Storage, Cosmos DB and Application Insights.
// User-assigned, so its roles exist before the app starts and survive the app being recreated.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId

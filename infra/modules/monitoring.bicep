// Log Analytics and a workspace-based Application Insights that accepts only Microsoft Entra
// authenticated telemetry (no instrumentation-key ingestion).

param logAnalyticsName string

param applicationInsightsName string

@description('Azure region of the workspace and the component.')
param location string

param tags object

@description('Days Log Analytics keeps data (30 is included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

output applicationInsightsName string = applicationInsights.name
// Not a secret: with local auth disabled the connection string only says where to send
// telemetry; sending still needs an Entra token with Monitoring Metrics Publisher.
output connectionString string = applicationInsights.properties.ConnectionString

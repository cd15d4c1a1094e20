import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COSMOS_CONTAINER, DEFAULT_COSMOS_DATABASE, INDEXED_PATHS, INDEXING_POLICY, PARTITION_KEY_PATH } from '../../src/checkpoints/cosmos-layout';
import { DEFAULT_STEP_QUEUE, poisonQueueName } from '../../src/runtime/queue-names';
import { REQUIRED_ENV } from '../../scripts/write-local-settings.js';
import { allResources, leafName, resourcesOfType, valueOf, type ArmTemplate, type LocatedResource } from './arm-template';
import { compiledTemplate, REPO_ROOT } from './compiled-template';

const compiled = compiledTemplate();
if ('skipReason' in compiled) console.warn(`SKIPPED test/infra/arm.test.ts: ${compiled.skipReason}`);
const template = 'template' in compiled ? compiled.template : ({ $schema: '', resources: [] } satisfies ArmTemplate);

const ROLE = {
  cosmosDataContributor: '00000000-0000-0000-0000-000000000002',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

/** What a value compiled to refers to: the output `output` of the nested deployment `deployment`. */
function deploymentOutput(deployment: string, output: string): RegExp {
  return new RegExp(`^\\[reference\\(.*'Microsoft\\.Resources/deployments', '${deployment}'\\).*\\.outputs\\.${output}\\.value\\]$`);
}
const APP_PRINCIPAL = deploymentOutput('identity', 'principalId');
const APP_CLIENT_ID = deploymentOutput('identity', 'clientId');
const USER_PRINCIPAL = "[parameters('principalId')]";

function only(type: string): LocatedResource {
  const found = resourcesOfType(template, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
}

function properties(located: LocatedResource): Record<string, unknown> {
  return valueOf(located.resource.properties, located.scope) as Record<string, unknown>;
}

function topLevelDefault(name: string): unknown {
  return template.parameters?.[name]?.defaultValue;
}

describe.skipIf('skipReason' in compiled)('compiled infra/main.bicep', () => {
  it('deploys at subscription scope into an azd-tagged resource group', () => {
    expect(template.$schema).toContain('subscriptionDeploymentTemplate');
    const rg = only('Microsoft.Resources/resourceGroups');
    expect(rg.resource.name).toBe("[format('rg-{0}', parameters('environmentName'))]");
    expect(valueOf(rg.resource.tags, rg.scope)).toEqual({ 'azd-env-name': "[parameters('environmentName')]" });
  });

  it('uses no registry modules and no keys anywhere', () => {
    const text = JSON.stringify(template);
    for (const forbidden of ['listKeys', 'listConnectionStrings', 'listAccountSas', 'AccountKey=', 'DefaultEndpointsProtocol', 'br/public:']) {
      expect(text, forbidden).not.toContain(forbidden);
    }
  });

  it('turns off key auth on Cosmos DB and storage', () => {
    const cosmos = properties(only('Microsoft.DocumentDB/databaseAccounts'));
    expect(cosmos.disableLocalAuth).toBe(true);
    expect(cosmos.disableKeyBasedMetadataWriteAccess).toBe(true);

    const storage = properties(only('Microsoft.Storage/storageAccounts'));
    expect(storage.allowSharedKeyAccess).toBe(false);
    expect(storage.allowBlobPublicAccess).toBe(false);
    expect(storage.minimumTlsVersion).toBe('TLS1_2');

    const insights = properties(only('Microsoft.Insights/components'));
    expect(insights.DisableLocalAuth).toBe(true);
  });

  it('is serverless by default, with autoscale throughput only when asked for', () => {
    expect(topLevelDefault('cosmosCapacityMode')).toBe('serverless');
    const account = only('Microsoft.DocumentDB/databaseAccounts');
    expect(account.resource.properties?.capabilities).toBe(
      "[if(equals(parameters('capacityMode'), 'serverless'), createArray(createObject('name', 'EnableServerless')), createArray())]",
    );
    const container = only('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    expect(String(container.resource.properties?.options)).toMatch(/^\[if\(equals\(parameters\('capacityMode'\), 'autoscale'\)/);
  });

  it('creates the database and container the store uses, with its partition key and indexing policy', () => {
    const database = only('Microsoft.DocumentDB/databaseAccounts/sqlDatabases');
    expect(leafName(database)).toBe(DEFAULT_COSMOS_DATABASE);
    expect(properties(database).resource).toEqual({ id: DEFAULT_COSMOS_DATABASE });

    const container = only('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    expect(leafName(container)).toBe(DEFAULT_COSMOS_CONTAINER);
    const resource = properties(container).resource as Record<string, any>;
    expect(resource.id).toBe(DEFAULT_COSMOS_CONTAINER);
    expect(resource.partitionKey.paths).toEqual([PARTITION_KEY_PATH]);
    expect(resource.partitionKey.kind).toBe('Hash');
    expect(resource.indexingPolicy.includedPaths.map((included: { path: string }) => included.path)).toEqual([...INDEXED_PATHS]);
    expect(resource.indexingPolicy).toEqual(INDEXING_POLICY);
    expect(resource.defaultTtl).toBe(-1);
  });

  it('creates the step queue and its poison queue under the names the app uses', () => {
    const queues = resourcesOfType(template, 'Microsoft.Storage/storageAccounts/queueServices/queues').map(leafName);
    expect(queues.sort()).toEqual([DEFAULT_STEP_QUEUE, poisonQueueName(DEFAULT_STEP_QUEUE)].sort());
  });

  it('grants exactly the documented roles, to the app identity and to the deploying user', () => {
    const granted = [
      ...resourcesOfType(template, 'Microsoft.Authorization/roleAssignments'),
      ...resourcesOfType(template, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments'),
    ].map((located) => {
      const props = properties(located);
      const roleDefinitionId = String(located.resource.properties?.roleDefinitionId);
      const role = Object.entries(ROLE).find(([, id]) => roleDefinitionId.includes(`'${id}'`))?.[0] ?? roleDefinitionId;
      const principal = String(props.principalId);
      const who = APP_PRINCIPAL.test(principal) ? 'app' : principal === USER_PRINCIPAL ? 'user' : principal;
      return { role, who, located };
    });

    expect(granted.map(({ role, who }) => `${who}: ${role}`).sort()).toEqual(
      [
        'app: cosmosDataContributor',
        'app: storageBlobDataOwner',
        'app: storageQueueDataContributor',
        'app: storageTableDataContributor',
        'app: monitoringMetricsPublisher',
        'user: cosmosDataContributor',
        'user: storageQueueDataContributor',
        'user: storageBlobDataContributor',
      ].sort(),
    );

    for (const { role, who, located } of granted) {
      const { resource } = located;
      // The user's grants are skipped when azd has no principal id to give.
      if (who === 'user') expect(resource.condition).toBe("[not(empty(parameters('userPrincipalId')))]");
      else expect(resource.condition).toBeUndefined();

      if (role === 'cosmosDataContributor') {
        expect(resource.properties?.roleDefinitionId).toMatch(/^\[resourceId\('Microsoft\.DocumentDB\/databaseAccounts\/sqlRoleDefinitions', /);
        expect(resource.properties?.scope).toMatch(/^\[resourceId\('Microsoft\.DocumentDB\/databaseAccounts', /);
      } else {
        expect(resource.properties?.roleDefinitionId).toMatch(/^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /);
        const scopeType = role === 'monitoringMetricsPublisher' ? 'Microsoft.Insights/components' : 'Microsoft.Storage/storageAccounts';
        expect(resource.scope).toContain(`'${scopeType}'`);
      }
    }
  });

  it('runs the function app on Flex Consumption, on the Node version of engines, as the user-assigned identity', () => {
    const plan = only('Microsoft.Web/serverfarms');
    expect(plan.resource.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });

    const site = only('Microsoft.Web/sites');
    const props = properties(site) as Record<string, any>;
    expect(site.resource.kind).toBe('functionapp,linux');
    expect(props.httpsOnly).toBe(true);
    expect(props.functionAppConfig.runtime.name).toBe('node');
    const enginesMajor = /(\d+)/.exec(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).engines.node)?.[1];
    expect(props.functionAppConfig.runtime.version).toBe("[parameters('nodeVersion')]");
    expect(topLevelDefault('nodeVersion')).toBe(enginesMajor);
    expect(props.functionAppConfig.deployment.storage.type).toBe('blobContainer');
    expect(props.functionAppConfig.deployment.storage.authentication.type).toBe('UserAssignedIdentity');
    expect(props.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId).toMatch(
      deploymentOutput('identity', 'resourceId'),
    );
    expect(site.resource.identity?.type).toBe('UserAssigned');

    // azd deploys to the resource tagged with the service name of azure.yaml.
    expect(String(site.resource.tags)).toContain("createObject('azd-service-name', parameters('serviceName'))");
    const serviceName = valueOf("[parameters('serviceName')]", site.scope);
    const azureYaml = readFileSync(path.join(REPO_ROOT, 'azure.yaml'), 'utf8');
    expect(/^services:\s*\n(?:\s*#.*\n)*\s+([\w-]+):/m.exec(azureYaml)?.[1]).toBe(serviceName);

    // Roles first: the app reads its package and its queues as soon as it exists.
    const deployment = allResources(template).find(({ resource }) => resource.name === site.scope.name)!;
    expect(deployment.resource.dependsOn?.some((dependency) => dependency.includes("'access'"))).toBe(true);
  });

  it('gives the app identity-based settings only: no key or connection string', () => {
    const settings = properties(only('Microsoft.Web/sites/config')) as Record<string, unknown>;

    for (const [name, value] of Object.entries(settings)) {
      const text = JSON.stringify(value);
      for (const forbidden of ['listKeys', 'AccountKey=', 'DefaultEndpointsProtocol', 'SharedAccessSignature', 'InstrumentationKey']) {
        expect(text, `${name} must not carry ${forbidden}`).not.toContain(forbidden);
      }
      if (name === 'APPLICATIONINSIGHTS_CONNECTION_STRING') continue; // an endpoint, not a secret, with local auth off
      expect(name, 'a setting named like a secret').not.toMatch(/connectionstring|key|secret|password|sas/i);
    }
    expect(settings).not.toHaveProperty('AzureWebJobsStorage');
    expect(settings).not.toHaveProperty('COSMOS_KEY');
    expect(settings).not.toHaveProperty('COSMOS_CONNECTION_STRING');
    // Flex Consumption rejects these: functionAppConfig.runtime replaces them.
    expect(settings).not.toHaveProperty('FUNCTIONS_WORKER_RUNTIME');
    expect(settings).not.toHaveProperty('FUNCTIONS_EXTENSION_VERSION');

    expect(settings).toMatchObject({
      AzureWebJobsStorage__credential: 'managedidentity',
      CHECKPOINT_STORE: 'cosmos',
      COSMOS_CREATE_IF_MISSING: 'false',
      STEP_QUEUE: DEFAULT_STEP_QUEUE,
    });
    expect(settings.AzureWebJobsStorage__clientId).toMatch(APP_CLIENT_ID);
    expect(settings.AZURE_CLIENT_ID).toMatch(APP_CLIENT_ID);
    expect(settings.AzureWebJobsStorage__accountName).toMatch(deploymentOutput('storage', 'name'));
    expect(settings.AzureWebJobsStorage__blobServiceUri).toMatch(deploymentOutput('storage', 'blobEndpoint'));
    expect(settings.AzureWebJobsStorage__queueServiceUri).toMatch(deploymentOutput('storage', 'queueEndpoint'));
    expect(settings.AzureWebJobsStorage__tableServiceUri).toMatch(deploymentOutput('storage', 'tableEndpoint'));
    expect(settings.COSMOS_ENDPOINT).toMatch(deploymentOutput('cosmos', 'endpoint'));
    expect(settings.COSMOS_DATABASE).toMatch(deploymentOutput('cosmos', 'databaseName'));
    expect(settings.COSMOS_CONTAINER).toMatch(deploymentOutput('cosmos', 'containerName'));
    expect(settings.APPLICATIONINSIGHTS_CONNECTION_STRING).toMatch(deploymentOutput('monitoring', 'connectionString'));
    const site = only('Microsoft.Web/sites/config');
    expect(site.resource.properties?.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
      "[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
    );
    expect(settings.CHECKPOINT_TTL_SECONDS).toBe("[string(parameters('checkpointTtlSeconds'))]");
  });

  it('outputs what azd and the postprovision hook need', () => {
    const outputs = template.outputs ?? {};
    const names = Object.keys(outputs);
    for (const name of [
      'AZURE_LOCATION',
      'AZURE_TENANT_ID',
      'RESOURCE_GROUP',
      'AZURE_CLIENT_ID',
      'COSMOS_ENDPOINT',
      'COSMOS_DATABASE',
      'COSMOS_CONTAINER',
      'STORAGE_ACCOUNT_NAME',
      'STEP_QUEUE',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'AZURE_FUNCTION_APP_NAME',
      'AZURE_FUNCTION_URL',
      ...REQUIRED_ENV,
    ]) {
      expect(names, `output ${name}`).toContain(name);
    }
    const top = allResources(template)[0]!.scope;
    expect(valueOf(outputs.STEP_QUEUE!.value, top)).toBe(DEFAULT_STEP_QUEUE);
    expect(outputs.APPLICATIONINSIGHTS_CONNECTION_STRING!.value).toMatch(deploymentOutput('monitoring', 'connectionString'));
    expect(outputs.AZURE_CLIENT_ID!.value).toMatch(APP_CLIENT_ID);
    expect(outputs.COSMOS_DATABASE!.value).toMatch(deploymentOutput('cosmos', 'databaseName'));
  });

  it('takes every required parameter from azd via main.parameters.json', () => {
    const file = JSON.parse(readFileSync(path.join(REPO_ROOT, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    const declared = template.parameters ?? {};
    for (const name of Object.keys(file.parameters)) expect(Object.keys(declared), `parameter ${name}`).toContain(name);
    for (const [name, parameter] of Object.entries(declared)) {
      if (parameter.defaultValue === undefined) expect(Object.keys(file.parameters), `value for ${name}`).toContain(name);
    }
  });
});

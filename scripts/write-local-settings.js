#!/usr/bin/env node
/*
 * azd postprovision hook: writes local.settings.json so `func start` (or `npm start`) runs on this
 * machine against the Cosmos DB account and storage account `azd provision` just created, signed
 * in as the developer (az login / azd auth login), never with a key.
 *
 * azd passes the environment's values (the outputs of infra/main.bicep) to hooks as environment
 * variables. An existing local.settings.json is never overwritten: the script prints what it
 * would have written and leaves the file alone.
 *
 * Plain JavaScript on purpose: azd runs this hook before the TypeScript is built.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const FILE_NAME = 'local.settings.json';

/** azd environment values the local settings are made from (all outputs of infra/main.bicep). */
const REQUIRED_ENV = [
  'STORAGE_ACCOUNT_NAME',
  'STORAGE_BLOB_ENDPOINT',
  'STORAGE_QUEUE_ENDPOINT',
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'COSMOS_CONTAINER',
  'STEP_QUEUE',
];

const HTTPS_URL_ENV = ['STORAGE_BLOB_ENDPOINT', 'STORAGE_QUEUE_ENDPOINT', 'COSMOS_ENDPOINT'];

function isHttpsUrl(value) {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The local.settings.json content for the given azd environment values. Identity only: no
 * `__credential`/`__clientId` (locally the host signs in as the developer) and no AZURE_CLIENT_ID
 * (that names the app's managed identity, which does not exist on a developer machine).
 */
function localSettingsFromEnv(env) {
  const missing = REQUIRED_ENV.filter((name) => !(env[name] || '').trim());
  if (missing.length > 0) {
    throw new Error(
      `cannot write ${FILE_NAME}: the azd environment lacks ${missing.join(', ')}. ` +
        'Run `azd provision` first (these are outputs of infra/main.bicep).',
    );
  }
  const notUrls = HTTPS_URL_ENV.filter((name) => !isHttpsUrl(env[name].trim()));
  if (notUrls.length > 0) {
    throw new Error(
      `cannot write ${FILE_NAME}: ${notUrls.map((name) => `${name}=${JSON.stringify(env[name])}`).join(', ')} ` +
        'must be https:// URLs.',
    );
  }
  const ttl = (env.CHECKPOINT_TTL_SECONDS || '0').trim();
  if (!/^\d+$/.test(ttl)) {
    throw new Error(
      `cannot write ${FILE_NAME}: CHECKPOINT_TTL_SECONDS=${JSON.stringify(env.CHECKPOINT_TTL_SECONDS)} ` +
        'must be a whole number of seconds (0 keeps checkpoints).',
    );
  }

  const value = (name) => env[name].trim();
  return {
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage__accountName: value('STORAGE_ACCOUNT_NAME'),
      AzureWebJobsStorage__blobServiceUri: value('STORAGE_BLOB_ENDPOINT'),
      AzureWebJobsStorage__queueServiceUri: value('STORAGE_QUEUE_ENDPOINT'),
      CHECKPOINT_STORE: 'cosmos',
      COSMOS_ENDPOINT: value('COSMOS_ENDPOINT'),
      COSMOS_DATABASE: value('COSMOS_DATABASE'),
      COSMOS_CONTAINER: value('COSMOS_CONTAINER'),
      COSMOS_CREATE_IF_MISSING: 'false',
      STEP_QUEUE: value('STEP_QUEUE'),
      CHECKPOINT_TTL_SECONDS: ttl,
    },
  };
}

/**
 * Writes `dir/local.settings.json` unless it already exists. Returns whether it wrote, the path
 * and the settings (so a caller can show what it would have written).
 */
function writeLocalSettings(dir, env) {
  const settings = localSettingsFromEnv(env);
  const file = path.join(dir, FILE_NAME);
  try {
    // 'wx': create only; an existing file (even one created a moment ago) is left untouched.
    fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`, { flag: 'wx' });
  } catch (error) {
    if (error && error.code === 'EEXIST') return { written: false, path: file, settings };
    throw error;
  }
  return { written: true, path: file, settings };
}

function main() {
  const projectRoot = path.resolve(__dirname, '..');
  try {
    const result = writeLocalSettings(projectRoot, process.env);
    if (result.written) {
      console.log(`Wrote ${FILE_NAME}: local runs use the deployed Cosmos DB and storage accounts as you (az login).`);
    } else {
      console.log(
        `${FILE_NAME} already exists; left it alone. To use the deployed resources, delete it and run ` +
          '`azd hooks run postprovision`, or merge these values into it:',
      );
      console.log(JSON.stringify(result.settings, null, 2));
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

module.exports = { FILE_NAME, REQUIRED_ENV, localSettingsFromEnv, writeLocalSettings };

if (require.main === module) main();

import path from 'node:path';
import { spawnAzurite } from '../../src/local/azurite-process';

/** Azurite's documented development account and key (public, identical in every Azurite). */
export const devAccountName = 'devstoreaccount1';
export const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Reuse a port, e.g. to restart Azurite where a host already points; default: a free one. */
  queuePort?: number;
  /** Start blob and table too (slower). */
  allServices?: boolean;
  /** Keep data in this folder instead of in memory (survives a restart). */
  location?: string;
}

export interface TestAzurite {
  /** A connection string with an explicit QueueEndpoint (and Blob/Table endpoints when started). */
  connectionString: string;
  queuePort: number;
  queueEndpoint: string;
  blobPort?: number;
  tablePort?: number;
  stop(): Promise<void>;
}

/** Starts Azurite on 127.0.0.1 for a test; stop() it in afterAll. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<TestAzurite> {
  const azurite = await spawnAzurite({
    resolveFrom: path.resolve(__dirname, '..', '..'),
    services: options.allServices ? 'all' : 'queue',
    queuePort: options.queuePort ?? 0,
    location: options.location,
  });
  const endpoint = (port: number): string => `http://127.0.0.1:${port}/${devAccountName}`;
  const queueEndpoint = endpoint(azurite.queuePort);
  const parts = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${devAccountName}`,
    `AccountKey=${devAccountKey}`,
    `QueueEndpoint=${queueEndpoint}`,
  ];
  if (azurite.blobPort) parts.push(`BlobEndpoint=${endpoint(azurite.blobPort)}`);
  if (azurite.tablePort) parts.push(`TableEndpoint=${endpoint(azurite.tablePort)}`);
  return {
    connectionString: `${parts.join(';')};`,
    queuePort: azurite.queuePort,
    queueEndpoint,
    blobPort: azurite.blobPort,
    tablePort: azurite.tablePort,
    stop: () => azurite.stop(),
  };
}

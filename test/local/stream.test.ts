import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../src/local/local-host';
import { capturingLogger, eventually } from './helpers';

describe('local host: app.setup({ enableHttpStream: true })', () => {
  let host: LocalHost;
  const logger = capturingLogger();

  beforeAll(async () => {
    host = await startLocalHost({ appDir: path.join(__dirname, 'fixtures', 'stream-app'), port: 0, logger });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('streams the request body to the handler through the library, with params, query and cookies', async () => {
    const response = await fetch(`${host.url}/upload/report?q=1`, { method: 'POST', body: Buffer.alloc(2_000_000, 7) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-name')).toBe('report');
    expect(response.headers.get('x-query')).toBe('1');
    expect(response.headers.get('set-cookie')).toContain('streamed=yes');
    expect(await response.json()).toEqual({ bytes: 2_000_000, name: 'report' });
    expect(logger.lines.join('\n')).toContain('HTTP streaming: enabled');
  });

  it('streams a response body from the handler', async () => {
    const response = await fetch(`${host.url}/countdown`);
    expect(await response.text()).toBe('3\n2\n1\n');
  });

  it('answers 500 JSON when the handler throws and 204 when it returns nothing', async () => {
    const failed = await fetch(`${host.url}/streamBoom`);
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('InternalServerError');
    expect((await fetch(`${host.url}/streamSilent`)).status).toBe(204);
  });

  it('still answers 404 and 405 itself', async () => {
    expect((await fetch(`${host.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${host.url}/upload/x`)).status).toBe(405);
  });

  it("closes its server and the library's stream proxy on stop", async () => {
    await host.stop();
    const listening = (): number => process.getActiveResourcesInfo().filter((type) => type === 'TCPServerWrap').length;
    await eventually(() => (listening() === 0 ? true : undefined), 'no listening sockets', 5000);
  });
});

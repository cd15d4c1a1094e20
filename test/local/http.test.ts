import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../src/local/local-host';
import { freePort } from '../support/free-port';
import { capturingLogger, eventually, fixtureAppDir, readRecords, tempDir } from './helpers';

describe('local host: HTTP triggers', () => {
  let host: LocalHost;
  let outDir: string;
  const logger = capturingLogger();

  beforeAll(async () => {
    outDir = tempDir('local-host-http-');
    // No storage runs for this suite: queue listeners keep retrying, HTTP must not care.
    const deadPort = await freePort();
    host = await startLocalHost({
      appDir: fixtureAppDir,
      port: 0,
      logger,
      env: {
        FIXTURE_OUT_DIR: outDir,
        RECORD_QUEUE: 'records',
        AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:${deadPort}/devstoreaccount1;`,
      },
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('passes route params, query, headers and body to the handler and returns status, headers, cookies and body', async () => {
    const response = await fetch(`${host.apiUrl}/items/books/42/red?tag=a&tag=b&x=1`, {
      method: 'POST',
      headers: { 'x-custom': 'custom value', 'content-type': 'text/plain' },
      body: 'the body',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('set-cookie')).toBe('session=abc%20123; Path=/; HttpOnly');
    const body = (await response.json()) as any;
    expect(body).toMatchObject({
      method: 'POST',
      params: { category: 'books', id: '42', tag: 'red' },
      query: { tag: 'b', x: '1' },
      tags: ['a', 'b'],
      header: 'custom value',
      body: 'the body',
      functionName: 'echo',
    });
    expect(body.url).toBe(`${host.apiUrl}/items/books/42/red?tag=a&tag=b&x=1`);
    expect(response.headers.get('x-invocation')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves an optional route parameter out when it is missing and decodes encoded params', async () => {
    const response = await fetch(`${host.apiUrl}/ITEMS/b%C3%BCcher/7`);
    // "bücher" is not alpha in ASCII terms: the constraint rejects it, as ASP.NET routing does.
    expect(response.status).toBe(404);
    const ok = await fetch(`${host.apiUrl}/ITEMS/books/7`);
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as any).params).toEqual({ category: 'books', id: '7' });
  });

  it('answers 404 with the JSON error shape when no route matches, including failed constraints', async () => {
    for (const path of ['/api/items/books/not-a-number', '/api/nothing-here', '/elsewhere']) {
      const response = await fetch(`${host.url}${path}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as any;
      expect(body.error.code).toBe('NotFound');
      expect(body.error.message).toContain(path);
    }
  });

  it('answers 405 with an Allow header for a method the route does not accept', async () => {
    const response = await fetch(`${host.apiUrl}/items/books/1`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST, PUT');
    const body = (await response.json()) as any;
    expect(body.error.code).toBe('MethodNotAllowed');
  });

  it('uses the function name as the default route and serves text bodies', async () => {
    const response = await fetch(`${host.apiUrl}/hello`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toBe('hello world');
  });

  it('answers 204 when the handler returns nothing', async () => {
    const response = await fetch(`${host.apiUrl}/silent`, { method: 'POST' });
    expect(response.status).toBe(204);
  });

  it('passes binary bodies through unchanged', async () => {
    const bytes = Buffer.alloc(300_000, 0xff);
    const response = await fetch(`${host.apiUrl}/bytes`, { method: 'POST', body: bytes });
    expect(await response.text()).toBe('300000');
  });

  it('turns a throwing handler into a 500 JSON error and logs the failure', async () => {
    const response = await fetch(`${host.apiUrl}/boom`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe('InternalServerError');
    expect(logger.lines.some((line) => line.startsWith('error') && line.includes('the fixture handler failed'))).toBe(true);
    expect(logger.lines.some((line) => line.includes('[boom] about to fail'))).toBe(true);
  });

  it('refuses a body over the host limit with 413 before reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${host.apiUrl}/bytes`, {
        method: 'POST',
        headers: { 'content-length': String(100 * 1024 * 1024 + 1) },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('runs preInvocation and postInvocation hooks around the handler, after the appStart hook', async () => {
    const response = await fetch(`${host.apiUrl}/hooked`);
    expect(await response.json()).toEqual({
      original: true,
      wrappedByPreInvocation: true,
      seenByPre: true,
      startedBy: 'appStart',
    });
    expect(readRecords(outDir, 'hooks')).toContainEqual({ hook: 'appStart' });
  });

  it('runs a timer with runOnStartup, and again on POST /admin/functions/{name}', async () => {
    const first = await eventually(() => readRecords<{ timer: Record<string, any> }>(outDir, 'timer')[0], 'the startup run');
    expect(first.timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(first.timer.scheduleStatus.next).toMatch(/-01-01T00:00:00.000Z$/);

    const response = await fetch(`${host.url}/admin/functions/yearlyTick`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(202);
    await eventually(() => (readRecords(outDir, 'timer').length >= 2 ? true : undefined), 'the admin run');
  });

  it('answers the admin status and function list, and 404 for an unknown function', async () => {
    expect((await fetch(`${host.url}/admin/host/status`)).status).toBe(200);
    const functions = (await (await fetch(`${host.url}/admin/functions`)).json()) as { name: string }[];
    expect(functions.map((fn) => fn.name)).toContain('recordMessage');
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST' })).status).toBe(404);
  });

  it('lists the functions with their URLs', () => {
    const echo = host.functions.find((fn) => fn.name === 'echo');
    expect(echo?.detail).toBe(`http://localhost:${host.port}/api/items/{category:alpha}/{id:int}/{tag?}`);
    expect(echo?.methods).toEqual(['GET', 'POST', 'PUT']);
    expect(logger.lines.join('\n')).toContain('Function keys are not checked locally');
  });
});

import path from 'node:path';
import { expect } from 'vitest';
import { startAzurite, type TestAzurite } from '../support/azurite';
import { startCosmosServer, type LocalCosmosServer } from '../support/cosmos-server';
import { startHostProcess, type HostProcess } from '../support/host-process';

export const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app');

export interface Services {
  azurite: TestAzurite;
  cosmos: LocalCosmosServer;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Azurite and the Cosmos protocol server on free ports, and the settings that point a host at them. */
export async function startServices(label: string): Promise<Services> {
  const [azurite, cosmos] = await Promise.all([startAzurite(), startCosmosServer()]);
  const env = {
    AzureWebJobsStorage: azurite.connectionString,
    CHECKPOINT_STORE: 'cosmos',
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    COSMOS_DATABASE: `e2e-${label}`,
    COSMOS_CONTAINER: 'checkpoints',
    STEP_QUEUE: `steps-${label}`,
    MAX_DEQUEUE_COUNT: '3',
    FOLLOW_UP_GRACE_SECONDS: '2',
    STALLED_RUN_SECONDS: '10',
  };
  return {
    azurite,
    cosmos,
    env,
    stop: async () => {
      await Promise.allSettled([azurite.stop(), cosmos.stop()]);
    },
  };
}

export type { HostProcess } from '../support/host-process';

/** The local Functions host in a child process, serving the fixture app (the real app plus one failing workflow). */
export function startHost(env: Record<string, string>, port?: number): Promise<HostProcess> {
  return startHostProcess(FIXTURE_APP, env, port);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(api: string, method: string, route: string, body?: unknown, rawBody?: string): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
  if (rawBody !== undefined) init.body = rawBody;
  else if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${api}/${route}`, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Asserts the documented error: the status, and `{ error: { code, message } }`. */
export function expectError(response: ApiResponse, status: number): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
}

/** Polls the run's status until `done` accepts it. */
export async function waitFor(api: string, runId: string, done: (status: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await call(api, 'GET', `runs/${encodeURIComponent(runId)}`);
    if (last.status === 200 && done(last.body)) return last.body;
    await sleep(100);
  }
  throw new Error(`run ${runId} did not reach the expected state; last status: ${last?.text}`);
}

export const finished = (status: { status: string }) => ['Completed', 'Failed', 'Cancelled'].includes(status.status);

/** Every checkpoint of the run, oldest first, through the API's paging. */
export async function allCheckpoints(api: string, runId: string): Promise<any[]> {
  const items: any[] = [];
  let continuation: string | undefined;
  do {
    const query = continuation ? `?limit=50&continuation=${encodeURIComponent(continuation)}` : '?limit=50';
    const page = await call(api, 'GET', `runs/${encodeURIComponent(runId)}/checkpoints${query}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    continuation = page.body.continuation;
  } while (continuation);
  return items.reverse();
}

/** One chain: steps exactly 0..latest, each checkpoint's parent the step before. */
export async function expectOneChain(api: string, runId: string): Promise<number> {
  const summaries = await allCheckpoints(api, runId);
  expect(summaries.map((c) => c.step)).toEqual(summaries.map((_, i) => i));
  for (const summary of summaries.slice(1)) {
    const full = await call(api, 'GET', `runs/${encodeURIComponent(runId)}/checkpoints/${summary.step}`);
    expect(full.body.parent).toBe(summary.step - 1);
  }
  return summaries.length;
}

export function factorPairsOf(n: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let a = 1; a * a <= n; a++) if (n % a === 0) pairs.push([a, n / a]);
  return pairs;
}

/** Checkpoints a factor-pairs run writes: the start, the start executor, one per 100,000 candidates. */
export function factorPairsCheckpoints(n: number): number {
  return 2 + Math.ceil(Math.floor(Math.sqrt(n)) / 100_000);
}

import { app } from '@azure/functions';
import { isTerminal } from '../engine/checkpoint';
import { route } from './http/handler';
import { RunLinks } from './http/links';
import { readJsonBody } from './http/request-body';
import { json } from './http/responses';
import { parseOrProblem, queryObject, schemas } from './http/validation';

export const listRuns = route(async (request, { runtime }) => {
  const query = parseOrProblem(schemas().listRunsQuery, queryObject(request.query), 'query');
  const page = await runtime.listRuns(query);
  const links = new RunLinks(request);
  return json(200, { items: page.items.map((run) => ({ ...run, statusUri: links.status(run.runId) })), ...(page.continuation ? { continuation: page.continuation } : {}) });
});

export const getRun = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const view = await runtime.status(runId);
  const headers: Record<string, string> = isTerminal(view.status) || view.status === 'Waiting' ? {} : { 'Retry-After': '1' };
  return json(200, new RunLinks(request).withLinks(view), headers);
});

export const purgeRun = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  await runtime.purge(runId);
  return { status: 204 };
});

export const cancelRun = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const body = parseOrProblem(schemas().cancelBody, (await readJsonBody(request, { optional: true })) ?? {}, 'body');
  const cancelled = await runtime.cancel(runId, body.reason);
  const links = new RunLinks(request);
  return json(202, { runId, status: cancelled.status, step: cancelled.step, statusUri: links.status(runId) }, { Location: links.status(runId) });
});

export const answerRequest = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const requestId = parseOrProblem(schemas().requestId, request.params.requestId, 'requestId');
  const response = await readJsonBody(request);
  const next = await runtime.answer(runId, requestId, response);
  const links = new RunLinks(request);
  return json(202, { runId, requestId, status: next.status, step: next.step, statusUri: links.status(runId) }, { Location: links.status(runId), 'Retry-After': '1' });
});

app.http('listRuns', { route: 'runs', methods: ['GET'], authLevel: 'function', handler: listRuns });
app.http('getRun', { route: 'runs/{runId}', methods: ['GET'], authLevel: 'function', handler: getRun });
app.http('purgeRun', { route: 'runs/{runId}', methods: ['DELETE'], authLevel: 'function', handler: purgeRun });
app.http('cancelRun', { route: 'runs/{runId}/cancel', methods: ['POST'], authLevel: 'function', handler: cancelRun });
app.http('answerRequest', { route: 'runs/{runId}/requests/{requestId}', methods: ['POST'], authLevel: 'function', handler: answerRequest });

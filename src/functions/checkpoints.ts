import { app } from '@azure/functions';
import { route } from './http/handler';
import { RunLinks } from './http/links';
import { readJsonBody } from './http/request-body';
import { json } from './http/responses';
import { parseOrProblem, queryObject, schemas } from './http/validation';

export const listCheckpoints = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const query = parseOrProblem(schemas().pageQuery, queryObject(request.query), 'query');
  const page = await runtime.listCheckpoints(runId, query);
  return json(200, page.continuation ? { items: page.items, continuation: page.continuation } : { items: page.items });
});

export const getCheckpoint = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const step = parseOrProblem(schemas().step, request.params.step, 'step');
  return json(200, await runtime.getCheckpoint(runId, step));
});

export const forkRun = route(async (request, { runtime }) => {
  const runId = parseOrProblem(schemas().runId, request.params.runId, 'runId');
  const step = parseOrProblem(schemas().step, request.params.step, 'step');
  const body = parseOrProblem(schemas().forkBody, (await readJsonBody(request, { optional: true })) ?? {}, 'body');
  const first = await runtime.fork(runId, step, body.runId);
  const links = new RunLinks(request);
  return json(202, links.accepted(first), { Location: links.status(first.runId), 'Retry-After': '1' });
});

app.http('listCheckpoints', { route: 'runs/{runId}/checkpoints', methods: ['GET'], authLevel: 'function', handler: listCheckpoints });
app.http('getCheckpoint', { route: 'runs/{runId}/checkpoints/{step}', methods: ['GET'], authLevel: 'function', handler: getCheckpoint });
app.http('forkRun', { route: 'runs/{runId}/checkpoints/{step}/fork', methods: ['POST'], authLevel: 'function', handler: forkRun });

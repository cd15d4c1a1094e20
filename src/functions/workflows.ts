import { app } from '@azure/functions';
import { route } from './http/handler';
import { RunLinks } from './http/links';
import { readJsonBody } from './http/request-body';
import { json } from './http/responses';
import { parseOrProblem, schemas } from './http/validation';

export const listWorkflows = route(async (_request, { runtime }) => {
  const workflows = runtime.context.workflows.list().map((wf) => ({
    name: wf.name,
    version: wf.version,
    ...(wf.description ? { description: wf.description } : {}),
    start: wf.start,
    executors: [...wf.executors.keys()],
    graphHash: wf.graphHash,
    maxSupersteps: wf.maxSupersteps,
  }));
  return json(200, { workflows });
});

export const startRun = route(async (request, { runtime }) => {
  const body = parseOrProblem(schemas().startBody, await readJsonBody(request), 'body');
  const first = await runtime.start({ workflow: request.params.workflow ?? '', input: body.input, ...(body.runId ? { runId: body.runId } : {}) });
  const links = new RunLinks(request);
  return json(202, links.accepted(first), { Location: links.status(first.runId), 'Retry-After': '1' });
});

app.http('listWorkflows', { route: 'workflows', methods: ['GET'], authLevel: 'function', handler: listWorkflows });
app.http('startRun', { route: 'workflows/{workflow}/runs', methods: ['POST'], authLevel: 'function', handler: startRun });

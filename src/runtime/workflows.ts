import type { Workflow } from '../engine';
import type { RuntimeContext } from './context';
import { RunProblem } from './errors';

/** The workflow a run belongs to; a checkpoint of a workflow this app lacks is an error that says so. */
export function requireWorkflow(ctx: Pick<RuntimeContext, 'workflows'>, name: string): Workflow {
  const workflow = ctx.workflows.get(name);
  if (!workflow) {
    const known = ctx.workflows.list().map((w) => w.name).join(', ') || 'none';
    throw new RunProblem('not-found', 'WorkflowNotFound', `workflow '${name}' is not registered in this app (registered: ${known})`);
  }
  return workflow;
}

import type { Workflow } from '../engine';

/** The workflows an app serves, by name. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, Workflow>();

  constructor(workflows: Iterable<Workflow> = []) {
    for (const wf of workflows) this.add(wf);
  }

  add(wf: Workflow): this {
    if (this.byName.has(wf.name)) throw new Error(`workflow '${wf.name}' is registered twice`);
    this.byName.set(wf.name, wf);
    return this;
  }

  get(name: string): Workflow | undefined {
    return this.byName.get(name);
  }

  list(): Workflow[] {
    return [...this.byName.values()];
  }
}

import type { HttpRequest } from '@azure/functions';
import { forkSource, type Checkpoint } from '../../engine/checkpoint';
import type { RunView } from '../../runtime/views';

/** Absolute URLs of a run's resources, on the host and route prefix the request came in on. */
export class RunLinks {
  private readonly base: string;

  constructor(request: HttpRequest) {
    const url = new URL(request.url);
    const prefix = url.pathname.match(/^\/[^/]+\//)?.[0] ?? '/api/';
    this.base = `${url.origin}${prefix}`;
  }

  status(runId: string): string {
    return `${this.base}runs/${encodeURIComponent(runId)}`;
  }

  checkpoints(runId: string): string {
    return `${this.status(runId)}/checkpoints`;
  }

  respond(runId: string, requestId: string): string {
    return `${this.status(runId)}/requests/${encodeURIComponent(requestId)}`;
  }

  cancel(runId: string): string {
    return `${this.status(runId)}/cancel`;
  }

  /** The body of a 202 for a run just started or forked: where to look next and what to call. */
  accepted(checkpoint: Checkpoint): Record<string, unknown> {
    const { runId } = checkpoint;
    return {
      runId,
      workflow: checkpoint.workflow,
      status: checkpoint.status,
      ...(forkSource(checkpoint) ? { forkedFrom: forkSource(checkpoint) } : {}),
      statusUri: this.status(runId),
      checkpointsUri: this.checkpoints(runId),
      respondUri: `${this.status(runId)}/requests/{requestId}`,
      cancelUri: this.cancel(runId),
    };
  }

  withLinks(view: RunView): Record<string, unknown> {
    return {
      ...view,
      pendingRequests: view.pendingRequests.map((r) => ({ ...r, respondUri: this.respond(view.runId, r.requestId) })),
      statusUri: this.status(view.runId),
      checkpointsUri: this.checkpoints(view.runId),
      cancelUri: this.cancel(view.runId),
    };
  }
}

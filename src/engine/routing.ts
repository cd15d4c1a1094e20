import { edgeTargets } from './builder';
import type { Edge, Workflow } from './workflow';

/** Where one sent message goes: straight to a target, or into a fan-in barrier's buffer. */
export type Route =
  | { kind: 'deliver'; edgeId: string; target: string }
  | { kind: 'buffer'; edgeId: string; source: string };

/** Every executor `source` can address with `ctx.send(message, to)`. */
export function reachableTargets(workflow: Workflow, source: string): Set<string> {
  const targets = new Set<string>();
  for (const edge of workflow.outgoing.get(source) ?? []) for (const target of edgeTargets(edge)) targets.add(target);
  return targets;
}

/**
 * Routes one message along the sender's outgoing edges, in the order the edges were added.
 * An explicit `to` picks the edges that reach it and skips their predicates. A message that
 * no edge accepts goes nowhere, as a conditional edge intends.
 */
export function route(workflow: Workflow, source: string, message: unknown, to?: string): Route[] {
  const routes: Route[] = [];
  for (const edge of workflow.outgoing.get(source) ?? []) {
    if (edge.kind === 'fan-in') {
      if (to === undefined || to === edge.to) routes.push({ kind: 'buffer', edgeId: edge.id, source });
      continue;
    }
    for (const target of to === undefined ? selectTargets(edge, message) : edgeTargets(edge).filter((t) => t === to)) {
      routes.push({ kind: 'deliver', edgeId: edge.id, target });
    }
  }
  return routes;
}

function selectTargets(edge: Exclude<Edge, { kind: 'fan-in' }>, message: unknown): string[] {
  switch (edge.kind) {
    case 'direct':
      return !edge.when || edge.when(message) ? [edge.to] : [];
    case 'fan-out': {
      if (!edge.select) return edge.to;
      const chosen = edge.select(message, [...edge.to]);
      const unknown = chosen.filter((t) => !edge.to.includes(t));
      if (unknown.length > 0) throw new Error(`fan-out ${edge.id} selected ${unknown.join(', ')}, not among its targets ${edge.to.join(', ')}`);
      return edge.to.filter((t) => chosen.includes(t));
    }
    case 'switch': {
      const match = edge.cases.find((c) => c.when(message));
      if (match) return [match.to];
      return edge.otherwise ? [edge.otherwise] : [];
    }
  }
}

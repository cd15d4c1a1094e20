import type { RegisteredFunction } from '../core-api';
import { compareRoutePrecedence, compileRouteTemplate, type CompiledRoute } from './route-template';

export interface HttpRoute {
  fn: RegisteredFunction;
  /** The trigger binding's name, which the RPC input data must use. */
  bindingName: string;
  route: CompiledRoute;
  /** Upper-case methods; empty means every method. */
  methods: string[];
  authLevel: string;
}

export type RouteMatch =
  | { kind: 'found'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

export class Router {
  readonly routes: HttpRoute[];

  constructor(routes: HttpRoute[]) {
    this.routes = [...routes].sort((a, b) => compareRoutePrecedence(a.route, b.route));
  }

  /** `path` is the request path after the route prefix, e.g. `/runs/abc`. */
  match(method: string, path: string): RouteMatch {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = route.route.match(path);
      if (!params) continue;
      if (route.methods.length === 0 || route.methods.includes(method)) return { kind: 'found', route, params };
      route.methods.forEach((allowedMethod) => allowed.add(allowedMethod));
    }
    if (allowed.size > 0) return { kind: 'methodNotAllowed', allowed: [...allowed].sort() };
    return { kind: 'notFound' };
  }
}

export function httpRouteFor(fn: RegisteredFunction): HttpRoute | undefined {
  for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
    if (String(binding.type).toLowerCase() !== 'httptrigger') continue;
    const template = typeof binding.route === 'string' && binding.route.trim() !== '' ? binding.route : fn.metadata.name;
    let route: CompiledRoute;
    try {
      route = compileRouteTemplate(template);
    } catch (error) {
      throw new Error(`Function '${fn.metadata.name}': ${error instanceof Error ? error.message : String(error)}`);
    }
    const methods = Array.isArray(binding.methods) ? binding.methods.map((method) => String(method).toUpperCase()) : [];
    const authLevel = typeof binding.authLevel === 'string' ? binding.authLevel : 'anonymous';
    return { fn, bindingName, route, methods, authLevel };
  }
  return undefined;
}

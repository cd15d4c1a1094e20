/**
 * Reading a compiled ARM template the way the tests need: every resource, including those inside
 * nested deployments (Bicep modules), and the values of its properties where they are known
 * before deployment (literals, parameters passed down from the parent, variables, format/concat
 * of those). Anything only Azure can know (reference(), uniqueString(), ...) stays as the raw
 * expression string, so a test can still check what it refers to.
 */

export interface ArmParameter {
  type: string;
  defaultValue?: unknown;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  condition?: unknown;
  scope?: string;
  kind?: string;
  tags?: unknown;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  dependsOn?: string[];
  properties?: Record<string, unknown>;
}

export interface ArmTemplate {
  $schema: string;
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

/** One template and how it was reached: the deployment that nests it and the values passed in. */
export interface DeploymentScope {
  /** '' for the top-level template, else the nested deployment's name. */
  name: string;
  template: ArmTemplate;
  passed: Record<string, { value: unknown }>;
  parent?: DeploymentScope;
}

export interface LocatedResource {
  resource: ArmResource;
  scope: DeploymentScope;
}

export function resourcesOf(template: ArmTemplate): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

/** Every resource of the template and of its nested deployments, depth first. */
export function allResources(template: ArmTemplate): LocatedResource[] {
  const found: LocatedResource[] = [];
  const visit = (scope: DeploymentScope): void => {
    for (const resource of resourcesOf(scope.template)) {
      found.push({ resource, scope });
      const nested = resource.properties?.template as ArmTemplate | undefined;
      if (resource.type === 'Microsoft.Resources/deployments' && nested) {
        const passed = (resource.properties?.parameters ?? {}) as Record<string, { value: unknown }>;
        visit({ name: resource.name, template: nested, passed, parent: scope });
      }
    }
  };
  visit({ name: '', template, passed: {} });
  return found;
}

export function resourcesOfType(template: ArmTemplate, type: string): LocatedResource[] {
  return allResources(template).filter(({ resource }) => resource.type.toLowerCase() === type.toLowerCase());
}

/** Thrown inside the evaluator when an expression needs something only a deployment knows. */
class Unresolvable extends Error {}

type Node =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Node[]; rest: string };

/** Parses the subset `fn('literal', 12, fn2(...))`; member access and indexing after a call are kept as `rest`. */
function parseExpression(text: string): Node {
  let at = 0;
  const skipSpaces = (): void => {
    while (text[at] === ' ') at += 1;
  };
  const parseNode = (): Node => {
    skipSpaces();
    if (text[at] === "'") {
      let value = '';
      at += 1;
      for (;;) {
        if (at >= text.length) throw new Unresolvable(`unterminated string in ${text}`);
        if (text[at] === "'") {
          if (text[at + 1] === "'") {
            value += "'";
            at += 2;
            continue;
          }
          at += 1;
          return { kind: 'string', value };
        }
        value += text[at];
        at += 1;
      }
    }
    const number = /^-?\d+/.exec(text.slice(at));
    if (number) {
      at += number[0].length;
      return { kind: 'number', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][\w]*/.exec(text.slice(at));
    if (!name) throw new Unresolvable(`cannot parse ${text} at ${at}`);
    at += name[0].length;
    skipSpaces();
    if (text[at] !== '(') throw new Unresolvable(`expected ( after ${name[0]} in ${text}`);
    at += 1;
    const args: Node[] = [];
    skipSpaces();
    if (text[at] === ')') {
      at += 1;
    } else {
      for (;;) {
        args.push(parseNode());
        skipSpaces();
        if (text[at] === ',') {
          at += 1;
          continue;
        }
        if (text[at] === ')') {
          at += 1;
          break;
        }
        throw new Unresolvable(`expected , or ) in ${text} at ${at}`);
      }
    }
    const rest = /^(\.[A-Za-z_]\w*|\[[^\]]*\])*/.exec(text.slice(at))?.[0] ?? '';
    at += rest.length;
    return { kind: 'call', name: name[0], args, rest };
  };
  const node = parseNode();
  skipSpaces();
  if (at !== text.length) throw new Unresolvable(`trailing text in ${text}`);
  return node;
}

function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

function parameterValue(name: string, scope: DeploymentScope): unknown {
  if (name in scope.passed) return valueOf(scope.passed[name]!.value, scope.parent!);
  const declared = scope.template.parameters?.[name];
  if (declared === undefined) throw new Error(`template ${scope.name || '(top)'} has no parameter ${name}`);
  // A top-level parameter is only known at deployment time, default or not.
  if (scope.parent === undefined || declared.defaultValue === undefined) throw new Unresolvable(name);
  return valueOf(declared.defaultValue, scope);
}

function variableValue(name: string, scope: DeploymentScope): unknown {
  const variables = scope.template.variables ?? {};
  if (!(name in variables)) throw new Error(`template ${scope.name || '(top)'} has no variable ${name}`);
  return valueOf(variables[name], scope);
}

function evaluateNode(node: Node, scope: DeploymentScope): unknown {
  if (node.kind !== 'call') return node.value;
  if (node.rest) throw new Unresolvable(node.name);
  const args = node.args.map((arg) => evaluateNode(arg, scope));
  const text = (value: unknown): string => {
    if (isExpression(value)) throw new Unresolvable(String(value));
    return String(value);
  };
  switch (node.name) {
    case 'parameters':
      return parameterValue(text(args[0]), scope);
    case 'variables':
      return variableValue(text(args[0]), scope);
    case 'format':
      return text(args[0]).replace(/\{(\d+)\}/g, (_, index: string) => text(args[Number(index) + 1]));
    case 'concat':
      return args.map(text).join('');
    case 'string':
      return text(args[0]);
    default:
      throw new Unresolvable(node.name);
  }
}

/**
 * The value of a template value in a scope: literals as they are, objects and arrays element by
 * element, expressions evaluated where possible. An expression that cannot be evaluated but is
 * a plain `[parameters('x')]` or `[variables('x')]` is followed to what was passed in; otherwise
 * the raw expression string is returned.
 */
export function valueOf(value: unknown, scope: DeploymentScope): unknown {
  if (Array.isArray(value)) return value.map((item) => valueOf(item, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, valueOf(item, scope)]));
  }
  if (!isExpression(value)) return value;
  const body = (value as string).slice(1, -1);
  try {
    return evaluateNode(parseExpression(body), scope);
  } catch (error) {
    if (!(error instanceof Unresolvable)) throw error;
  }
  const reference = /^(parameters|variables)\('([^']+)'\)$/.exec(body);
  if (reference?.[1] === 'parameters' && reference[2]! in scope.passed) {
    return valueOf(scope.passed[reference[2]!]!.value, scope.parent!);
  }
  if (reference?.[1] === 'variables') return valueOf(scope.template.variables?.[reference[2]!], scope);
  return value;
}

/** The last segment of a child resource's name (`account/db/container` → the container's name). */
export function leafName(located: LocatedResource): unknown {
  const { resource, scope } = located;
  if (!isExpression(resource.name)) return resource.name.split('/').pop();
  const node = parseExpression(resource.name.slice(1, -1));
  if (node.kind === 'call' && node.name === 'format' && node.args.length > 1) {
    const last = node.args[node.args.length - 1]!;
    try {
      return evaluateNode(last, scope);
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
    }
  }
  return valueOf(resource.name, scope);
}

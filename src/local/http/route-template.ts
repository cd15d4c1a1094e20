/**
 * Route templates as Functions HTTP triggers write them (ASP.NET Core routing syntax):
 * `runs/{runId}/checkpoints/{step:int}`, optional `{name?}`, defaults `{name=value}`, catch-all
 * `{*path}`, and constraints such as `int`, `long`, `bool`, `guid`, `alpha`, `double`,
 * `datetime`, `minlength(n)`, `maxlength(n)`, `length(n[,m])`, `min(n)`, `max(n)`, `range(a,b)`,
 * `regex(...)`. Literal segments match case-insensitively.
 */

interface Parameter {
  name: string;
  optional: boolean;
  defaultValue: string | undefined;
  catchAll: boolean;
  constraints: Constraint[];
}

type SegmentPart = { kind: 'literal'; text: string } | { kind: 'parameter'; parameter: Parameter };

interface Constraint {
  text: string;
  test(value: string): boolean;
}

export interface CompiledRoute {
  template: string;
  parameterNames: string[];
  /** Lower sorts first: literals beat constrained parameters beat parameters beat catch-alls. */
  precedence: number[];
  match(path: string): Record<string, string> | undefined;
}

export function compileRouteTemplate(template: string): CompiledRoute {
  const cleaned = template.trim().replace(/^~?\/+/, '').replace(/\/+$/, '');
  const rawSegments = cleaned === '' ? [] : splitSegments(cleaned, template);
  const segments = rawSegments.map((segment) => parseSegment(segment, template));

  const parameters: Parameter[] = [];
  let source = '^';
  const precedence: number[] = [];
  segments.forEach((parts, index) => {
    const isLast = index === segments.length - 1;
    const first = parts[0];
    const lone = parts.length === 1 && first?.kind === 'parameter' ? first.parameter : undefined;
    if (lone?.catchAll) {
      if (!isLast) throw new Error(`Route "${template}": a catch-all parameter {*${lone.name}} must be the last segment`);
      parameters.push(lone);
      source += '(?:/(.*))?';
      precedence.push(5);
      return;
    }
    if (lone && (lone.optional || lone.defaultValue !== undefined)) {
      if (!isLast) throw new Error(`Route "${template}": an optional parameter {${lone.name}?} must be the last segment`);
      parameters.push(lone);
      source += '(?:/([^/]+))?';
      precedence.push(4);
      return;
    }
    source += '/';
    let rank = 1;
    for (const part of parts) {
      if (part.kind === 'literal') {
        source += escapeRegExp(part.text);
      } else {
        if (part.parameter.catchAll || part.parameter.optional) {
          throw new Error(`Route "${template}": {${part.parameter.name}} must be a whole segment to be optional or catch-all`);
        }
        parameters.push(part.parameter);
        // Greedy: within a segment like {name}.{ext} the last parameter gets the shortest match, as in ASP.NET.
        source += '([^/]+)';
        rank = Math.max(rank, part.parameter.constraints.length > 0 ? 2 : 3);
      }
    }
    precedence.push(rank);
  });
  source += '/?$';

  const names = parameters.map((parameter) => parameter.name.toLowerCase());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`Route "${template}": parameter {${duplicate}} appears twice`);

  const pattern = new RegExp(source, 'i');
  return {
    template: cleaned,
    parameterNames: parameters.map((parameter) => parameter.name),
    precedence,
    match(path: string): Record<string, string> | undefined {
      const found = pattern.exec(path === '' ? '' : path.startsWith('/') ? path : `/${path}`);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [index, parameter] of parameters.entries()) {
        const raw = found[index + 1];
        if (raw === undefined || raw === '') {
          if (parameter.defaultValue !== undefined) params[parameter.name] = parameter.defaultValue;
          continue;
        }
        let value: string;
        try {
          value = parameter.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
        } catch {
          return undefined;
        }
        if (!parameter.constraints.every((constraint) => constraint.test(value))) return undefined;
        params[parameter.name] = value;
      }
      return params;
    },
  };
}

/** Orders routes so the most specific is tried first. */
export function compareRoutePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const left = a.precedence[i] ?? 0;
    const right = b.precedence[i] ?? 0;
    if (left !== right) return left - right;
  }
  return 0;
}

function splitSegments(template: string, original: string): string[] {
  const segments: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of template) {
    if (char === '{') depth += 1;
    if (char === '}') depth -= 1;
    if (depth < 0) throw new Error(`Route "${original}": unbalanced "}"`);
    if (char === '/' && depth === 0) {
      if (current === '') throw new Error(`Route "${original}": empty path segment`);
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw new Error(`Route "${original}": unbalanced "{"`);
  segments.push(current);
  return segments;
}

function parseSegment(segment: string, template: string): SegmentPart[] {
  const parts: SegmentPart[] = [];
  let index = 0;
  while (index < segment.length) {
    const open = segment.indexOf('{', index);
    if (open < 0) {
      parts.push({ kind: 'literal', text: segment.slice(index) });
      break;
    }
    if (open > index) parts.push({ kind: 'literal', text: segment.slice(index, open) });
    const close = findClosingBrace(segment, open);
    if (close < 0) throw new Error(`Route "${template}": unbalanced "{" in segment "${segment}"`);
    parts.push({ kind: 'parameter', parameter: parseParameter(segment.slice(open + 1, close), template) });
    index = close + 1;
  }
  for (let i = 1; i < parts.length; i++) {
    if (parts[i - 1]?.kind === 'parameter' && parts[i]?.kind === 'parameter') {
      throw new Error(`Route "${template}": two parameters in segment "${segment}" need a literal between them`);
    }
  }
  return parts;
}

function findClosingBrace(segment: string, open: number): number {
  let parens = 0;
  for (let i = open + 1; i < segment.length; i++) {
    const char = segment[i];
    if (char === '(') parens += 1;
    else if (char === ')') parens -= 1;
    else if (char === '}' && parens <= 0) return i;
  }
  return -1;
}

function parseParameter(body: string, template: string): Parameter {
  let text = body.trim();
  const catchAll = text.startsWith('*');
  if (catchAll) text = text.replace(/^\*+/, '');
  let defaultValue: string | undefined;
  const equals = indexOutsideParens(text, '=');
  if (equals >= 0) {
    defaultValue = text.slice(equals + 1);
    text = text.slice(0, equals);
  }
  let optional = false;
  if (text.endsWith('?')) {
    optional = true;
    text = text.slice(0, -1);
  }
  const pieces = splitOutsideParens(text, ':');
  const name = (pieces.shift() ?? '').trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`Route "${template}": "{${body}}" has an invalid parameter name "${name}"`);
  }
  return {
    name,
    optional: optional || catchAll,
    defaultValue,
    catchAll,
    constraints: pieces.map((piece) => parseConstraint(piece.trim(), name, template)),
  };
}

function indexOutsideParens(text: string, wanted: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === wanted && depth === 0) return i;
  }
  return -1;
}

function splitOutsideParens(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  for (let at = indexOutsideParens(rest, separator); at >= 0; at = indexOutsideParens(rest, separator)) {
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  pieces.push(rest);
  return pieces;
}

const integerPattern = /^-?\d+$/;
const guidPattern = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i;

function parseConstraint(text: string, parameter: string, template: string): Constraint {
  const match = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  const fail = (why: string): never => {
    throw new Error(`Route "${template}": constraint "${text}" on {${parameter}} ${why}`);
  };
  if (!match) return fail('is not of the form name or name(arguments)');
  const kind = (match[1] ?? '').toLowerCase();
  const argument = match[2];
  const numbers = (count: number): number[] => {
    const values = (argument ?? '').split(',').map((piece) => Number(piece.trim()));
    if (argument === undefined || values.length !== count || values.some((value) => !Number.isFinite(value))) {
      fail(`needs ${count} numeric argument${count > 1 ? 's' : ''}`);
    }
    return values;
  };
  const make = (test: (value: string) => boolean): Constraint => ({ text, test });
  switch (kind) {
    case 'int':
      return make((v) => integerPattern.test(v) && Number(v) >= -2147483648 && Number(v) <= 2147483647);
    case 'long':
      return make((v) => integerPattern.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n);
    case 'bool':
      return make((v) => /^(true|false)$/i.test(v));
    case 'guid':
      return make((v) => guidPattern.test(v));
    case 'alpha':
      return make((v) => /^[a-z]+$/i.test(v));
    case 'double':
    case 'float':
    case 'decimal':
      return make((v) => v.trim() !== '' && Number.isFinite(Number(v)));
    case 'datetime':
      return make((v) => !Number.isNaN(Date.parse(v)));
    case 'minlength': {
      const [min = 0] = numbers(1);
      return make((v) => v.length >= min);
    }
    case 'maxlength': {
      const [max = 0] = numbers(1);
      return make((v) => v.length <= max);
    }
    case 'length': {
      const count = (argument ?? '').includes(',') ? 2 : 1;
      const [min = 0, max = min] = numbers(count);
      return make((v) => v.length >= min && v.length <= max);
    }
    case 'min': {
      const [min = 0] = numbers(1);
      return make((v) => integerPattern.test(v) && Number(v) >= min);
    }
    case 'max': {
      const [max = 0] = numbers(1);
      return make((v) => integerPattern.test(v) && Number(v) <= max);
    }
    case 'range': {
      const [min = 0, max = 0] = numbers(2);
      return make((v) => integerPattern.test(v) && Number(v) >= min && Number(v) <= max);
    }
    case 'regex': {
      if (argument === undefined) return fail('needs a regular expression argument');
      let pattern: RegExp;
      try {
        pattern = new RegExp(argument.replace(/\{\{/g, '{').replace(/\}\}/g, '}'), 'i');
      } catch (error) {
        return fail(`has an invalid regular expression: ${error instanceof Error ? error.message : String(error)}`);
      }
      return make((v) => pattern.test(v));
    }
    default:
      return fail('is not a supported route constraint');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

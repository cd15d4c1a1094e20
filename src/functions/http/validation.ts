import type { z } from 'zod';
import { RunProblem } from '../../runtime/errors';
import { buildSchemas } from './schemas';

type Schemas = ReturnType<typeof buildSchemas>;
let schemasBuilt: Schemas | undefined;

/** The request schemas, built on first use: building them is a good share of a cold start's import time. */
export function schemas(): Schemas {
  schemasBuilt ??= buildSchemas();
  return schemasBuilt;
}

/** Parses `value` or throws a 400 naming each wrong field and what it must be. */
export function parseOrProblem<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? `${what}.${issue.path.join('.')}` : what;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
  throw new RunProblem('invalid', 'InvalidRequest', details);
}

/** The query string as a plain object; a parameter given twice is a 400. */
export function queryObject(params: URLSearchParams): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(result, key)) throw new RunProblem('invalid', 'InvalidRequest', `query parameter '${key}' is given more than once`);
    // An own property even for '__proto__', so it is refused as an unknown parameter like any other.
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

import { z } from 'zod';
import { RUN_ID_PATTERN } from '../../checkpoints/ids';
import { RUN_STATUSES } from '../../engine/checkpoint';
import { RunProblem } from '../../runtime/errors';

export const runIdSchema = z
  .string()
  .regex(RUN_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 - _ . :')
  .refine((id) => id !== '.' && id !== '..', "must not be '.' or '..'");

export const startBodySchema = z.strictObject({
  input: z.unknown(),
  runId: runIdSchema.optional(),
});

export const cancelBodySchema = z.strictObject({ reason: z.string().max(1000).optional() });

export const forkBodySchema = z.strictObject({ runId: runIdSchema.optional() });

const wholeNumber = (min: number, max: number) => z.string().regex(/^\d{1,10}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

export const listRunsQuerySchema = z.strictObject({
  workflow: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a workflow name').optional(),
  status: z.enum(RUN_STATUSES).optional(),
  updatedBefore: z.iso.datetime({ offset: true }).optional(),
  limit: wholeNumber(1, 1000).optional(),
  continuation: z.string().max(4096).optional(),
});

export const pageQuerySchema = z.strictObject({
  limit: wholeNumber(1, 1000).optional(),
  continuation: z.string().max(4096).optional(),
});

export const stepSchema = wholeNumber(0, 9_999_999_999);

export const requestIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'must be a request id from the run status');

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

import { z } from 'zod';
import { RUN_ID_PATTERN } from '../../checkpoints/ids';
import { RUN_STATUSES } from '../../engine/checkpoint';

/** The shapes of request bodies, route parameters and query strings. */
export function buildSchemas() {
  const runId = z
    .string()
    .regex(RUN_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 - _ . :')
    .refine((id) => id !== '.' && id !== '..', "must not be '.' or '..'");

  const startBody = z.strictObject({
    input: z.unknown(),
    runId: runId.optional(),
  });

  const cancelBody = z.strictObject({ reason: z.string().max(1000).optional() });

  const forkBody = z.strictObject({ runId: runId.optional() });

  const wholeNumber = (min: number, max: number) => z.string().regex(/^\d{1,10}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

  const listRunsQuery = z.strictObject({
    workflow: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a workflow name').optional(),
    status: z.enum(RUN_STATUSES).optional(),
    updatedBefore: z.iso.datetime({ offset: true }).optional(),
    limit: wholeNumber(1, 1000).optional(),
    continuation: z.string().max(4096).optional(),
  });

  const pageQuery = z.strictObject({
    limit: wholeNumber(1, 1000).optional(),
    continuation: z.string().max(4096).optional(),
  });

  const step = wholeNumber(0, 9_999_999_999);

  const requestId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'must be a request id from the run status');
  return { runId, startBody, cancelBody, forkBody, listRunsQuery, pageQuery, step, requestId };
}

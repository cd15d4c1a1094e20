import type { HttpRequest } from '@azure/functions';
import { RunProblem } from '../../runtime/errors';

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads and parses a JSON body of at most MAX_BODY_BYTES. An empty body is `undefined` when
 * `optional`, else a 400; anything that is not JSON is a 400 that says where it broke.
 */
export async function readJsonBody(request: HttpRequest, options: { optional?: boolean } = {}): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > MAX_BODY_BYTES) throw tooLarge(declared);
  const bytes = await readLimited(request);
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '') {
    if (options.optional) return undefined;
    throw new RunProblem('invalid', 'InvalidBody', 'the request needs a JSON body');
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RunProblem('invalid', 'InvalidJson', `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readLimited(request: HttpRequest): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > MAX_BODY_BYTES) throw tooLarge(total);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function tooLarge(bytes: number): RunProblem {
  return new RunProblem('too-large', 'BodyTooLarge', `the body has more than ${MAX_BODY_BYTES} bytes (at least ${bytes}); the limit is 1 MB`);
}

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError } from '../../config-error';
import { asRunProblem, type ProblemKind } from '../../runtime/errors';

const STATUS: Record<ProblemKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  unavailable: 503,
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } };
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** A 4xx for what the caller got wrong, a 503 to wait out, a 500 only for our own faults. */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  const problem = asRunProblem(error);
  if (problem) {
    const headers: Record<string, string> = problem.retryAfterSeconds ? { 'Retry-After': String(problem.retryAfterSeconds) } : {};
    return json(STATUS[problem.kind], errorBody(problem.code, problem.message), headers);
  }
  if (error instanceof ConfigError) {
    context.error(`configuration error: ${error.message}`);
    return json(500, errorBody('Misconfigured', `the app is misconfigured: ${error.message}`));
  }
  context.error('unexpected error', error);
  return json(500, errorBody('InternalError', `an unexpected error occurred (invocation ${context.invocationId}); it has been logged`));
}

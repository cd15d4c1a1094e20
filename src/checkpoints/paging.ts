import type { Page, PageOptions } from './store';
import { InvalidCheckpointArgumentError } from './errors';
import { assertStep, isValidRunId } from './ids';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** The page size a caller asked for, or the default; anything else is an argument error. */
export function resolvePageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new InvalidCheckpointArgumentError(`invalid limit ${String(limit)}: use a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

/** Where the next page of a run's checkpoints starts: below the last step already returned. */
export interface StepCursor {
  runId: string;
  before: number;
}

/** Where the next page of runs starts: after the last (updatedAt, runId) already returned. */
export interface RunCursor {
  updatedAt: string;
  runId: string;
}

// Continuations are keys, not offsets, so a page stays correct while checkpoints are added.
export function encodeStepCursor(cursor: StepCursor): string {
  return encodeToken({ k: 'steps', r: cursor.runId, s: cursor.before });
}

/** Decodes a token that `list` of the same run handed out. */
export function decodeStepCursor(token: unknown, runId: string): StepCursor | undefined {
  if (token === undefined) return undefined;
  const fields = decodeToken(token);
  const { k, r, s } = fields;
  if (k !== 'steps' || typeof r !== 'string' || typeof s !== 'number') throw invalidToken('it is not a checkpoint list continuation');
  if (r !== runId) throw invalidToken(`it continues a listing of another run`);
  try {
    assertStep(s);
  } catch {
    throw invalidToken('it holds an invalid step');
  }
  return { runId: r, before: s };
}

export function encodeRunCursor(cursor: RunCursor): string {
  return encodeToken({ k: 'runs', u: cursor.updatedAt, r: cursor.runId });
}

export function decodeRunCursor(token: unknown): RunCursor | undefined {
  if (token === undefined) return undefined;
  const { k, u, r } = decodeToken(token);
  if (k !== 'runs' || typeof u !== 'string' || !isValidRunId(r)) throw invalidToken('it is not a run list continuation');
  return { updatedAt: u, runId: r };
}

/** One page of `sorted` (already in page order), from the first item past the cursor. */
export function takePage<T>(sorted: readonly T[], limit: number, isPastCursor: (item: T) => boolean, cursorOf: (item: T) => string): Page<T> {
  const start = sorted.findIndex(isPastCursor);
  if (start < 0) return { items: [] };
  const items = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  return more ? { items, continuation: cursorOf(items[items.length - 1]!) } : { items };
}

const TOKEN_VERSION = 1;

function encodeToken(fields: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, ...fields }), 'utf8').toString('base64url');
}

function decodeToken(token: unknown): Record<string, unknown> {
  if (typeof token !== 'string' || token === '' || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw invalidToken('it is not a token this store handed out');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken('it is not a token this store handed out');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as { v?: unknown }).v !== TOKEN_VERSION) {
    throw invalidToken('it is not a token this store handed out');
  }
  return parsed as Record<string, unknown>;
}

function invalidToken(reason: string): InvalidCheckpointArgumentError {
  return new InvalidCheckpointArgumentError(`invalid continuation token: ${reason}; pass back the continuation of the previous page unchanged`);
}

/** One page of a run's steps, newest first, for stores that know all its steps at hand. */
export function takeStepPage(runId: string, ascendingSteps: readonly number[], options: PageOptions): Page<number> {
  const cursor = decodeStepCursor(options.continuation, runId);
  return takePage(
    [...ascendingSteps].reverse(),
    resolvePageLimit(options.limit),
    (step) => cursor === undefined || step < cursor.before,
    (step) => encodeStepCursor({ runId, before: step }),
  );
}

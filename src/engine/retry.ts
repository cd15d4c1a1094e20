import { CodecError } from './codec';
import { NonRetryableError } from './errors';

export interface RetryPolicy {
  /** Total attempts, the first one included. 1 means never retry. */
  maxAttempts: number;
  initialDelayMs: number;
  backoffFactor: number;
  maxDelayMs: number;
  /** Errors that fail the run at once. `NonRetryableError` never retries whatever this says. */
  nonRetryable?: Array<abstract new (...args: never[]) => Error> | ((error: unknown) => boolean);
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 1_000,
  backoffFactor: 2,
  maxDelayMs: 60_000,
};

export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  // A value the codec cannot carry fails the same way on every attempt.
  if (error instanceof NonRetryableError || error instanceof CodecError) return false;
  const { nonRetryable } = policy;
  if (!nonRetryable) return true;
  if (typeof nonRetryable === 'function') return !nonRetryable(error);
  return !nonRetryable.some((type) => error instanceof type);
}

/** Delay before attempt `attempt + 1`, given that `attempt` attempts (≥ 1) have failed. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * policy.backoffFactor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Math.max(0, delay));
}

export function validateRetryPolicy(policy: RetryPolicy, executor: string): string | undefined {
  const { maxAttempts, initialDelayMs, backoffFactor, maxDelayMs } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) return `executor '${executor}': retry.maxAttempts must be a whole number ≥ 1`;
  if (!(initialDelayMs >= 0)) return `executor '${executor}': retry.initialDelayMs must be ≥ 0`;
  if (!(backoffFactor >= 1)) return `executor '${executor}': retry.backoffFactor must be ≥ 1`;
  if (!(maxDelayMs >= initialDelayMs)) return `executor '${executor}': retry.maxDelayMs must be ≥ initialDelayMs`;
  return undefined;
}

import { InvalidCheckpointArgumentError } from './errors';

export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Steps are stored zero-padded to this many digits so ids sort as numbers do. */
export const STEP_DIGITS = 10;
export const MAX_STEP = 10 ** STEP_DIGITS - 1;

export function isValidRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

export function assertRunId(value: unknown): asserts value is string {
  if (!isValidRunId(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
    throw new InvalidCheckpointArgumentError(
      `invalid run id ${shown}: use 1-128 characters of A-Z a-z 0-9 - _ . : (not '.' or '..')`,
    );
  }
}

export function assertStep(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_STEP) {
    throw new InvalidCheckpointArgumentError(`invalid step ${String(value)}: use a whole number from 0 to ${MAX_STEP}`);
  }
}

export function stepId(step: number): string {
  assertStep(step);
  return String(step).padStart(STEP_DIGITS, '0');
}

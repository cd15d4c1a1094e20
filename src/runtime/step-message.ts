import { isValidRunId } from '../checkpoints/ids';
import type { StepMessage } from './step-queue';

export type ParsedStepMessage =
  | { ok: true; message: StepMessage }
  | { ok: false; reason: string };

/**
 * Checks a queue message from anywhere (this app, or another system resuming a run). A bad one
 * is reported, never thrown: retrying it would only fail the same way until it is poisoned.
 */
export function parseStepMessage(raw: unknown): ParsedStepMessage {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, reason: 'the message is not JSON' };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'the message must be a JSON object { runId, step? } or { runId, requestId, response }' };
  }
  const { runId, step, requestId, charge } = value as Record<string, unknown>;
  if (!isValidRunId(runId)) return { ok: false, reason: 'runId must be 1-128 characters of A-Z a-z 0-9 - _ . :' };
  if (requestId !== undefined) {
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 128) {
      return { ok: false, reason: 'requestId must be a non-empty string of at most 128 characters' };
    }
    if (!Object.hasOwn(value, 'response')) return { ok: false, reason: 'a message with requestId needs a response' };
    return { ok: true, message: { runId, requestId, response: (value as { response: unknown }).response } };
  }
  if (step === undefined) return { ok: true, message: { runId } };
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    return { ok: false, reason: 'step must be a whole number ≥ 0' };
  }
  if (charge !== undefined && (typeof charge !== 'number' || !Number.isFinite(charge) || charge < 0)) {
    return { ok: false, reason: 'charge must be a number ≥ 0' };
  }
  return { ok: true, message: charge === undefined ? { runId, step } : { runId, step, charge } };
}

import { InvalidInputError, workflow } from '../engine';

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 24 * 60 * 60;
const MAX_TIMEOUT_SECONDS = 365 * 24 * 60 * 60;
const MAX_TITLE = 500;
const MAX_COMMENT = 4_000;

export interface ApprovalInput {
  title: string;
  amount: number;
  /** Overrides the workflow's timeout for this run. */
  timeoutSeconds?: number;
}

export interface ApprovalRequest {
  title: string;
  amount: number;
  question: string;
  expiresAt: string;
}

export interface ApprovalDecision {
  approved: boolean;
  comment?: string;
}

export interface ApprovalOutcome extends ApprovalDecision {
  title: string;
  amount: number;
}

interface Pending {
  title: string;
  amount: number;
  requestId: string;
  timerId: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTimeout(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_TIMEOUT_SECONDS) {
    throw new InvalidInputError(`${field} must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
  return value;
}

export function parseApprovalInput(input: unknown): ApprovalInput {
  if (!isObject(input)) throw new InvalidInputError('input must be an object { title: string, amount: number ≥ 0 }');
  const { title, amount, timeoutSeconds } = input;
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE) {
    throw new InvalidInputError(`input.title must be a non-empty string of at most ${MAX_TITLE} characters`);
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new InvalidInputError('input.amount must be a finite number ≥ 0');
  }
  const unknown = Object.keys(input).filter((k) => !['title', 'amount', 'timeoutSeconds'].includes(k));
  if (unknown.length > 0) throw new InvalidInputError(`input has unknown field(s): ${unknown.join(', ')}`);
  return timeoutSeconds === undefined ? { title, amount } : { title, amount, timeoutSeconds: parseTimeout(timeoutSeconds, 'input.timeoutSeconds') };
}

export function parseDecision(response: unknown): ApprovalDecision {
  if (!isObject(response) || typeof response.approved !== 'boolean') {
    throw new InvalidInputError('the answer must be an object { approved: boolean, comment?: string }');
  }
  const { approved, comment } = response;
  if (comment !== undefined && (typeof comment !== 'string' || comment.length > MAX_COMMENT)) {
    throw new InvalidInputError(`comment must be a string of at most ${MAX_COMMENT} characters`);
  }
  const unknown = Object.keys(response).filter((k) => k !== 'approved' && k !== 'comment');
  if (unknown.length > 0) throw new InvalidInputError(`the answer has unknown field(s): ${unknown.join(', ')}`);
  return comment === undefined ? { approved } : { approved, comment };
}

/**
 * Asks a human to approve `{ title, amount }` and completes with the decision; rejects on its own
 * when no answer comes within the timeout (a durable timer, so no process waits for it).
 */
export function createApprovalWorkflow(options: { timeoutSeconds?: number } = {}) {
  const defaultTimeout = parseTimeout(options.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS, 'the approval timeout');
  return workflow<ApprovalInput>('approval', {
    version: '1',
    description: 'Asks a human to approve { title, amount }; rejects on its own when no answer comes in time.',
    maxSupersteps: 20,
    parseInput: parseApprovalInput,
  })
    .executor<ApprovalInput>('ask', {
      handle: (input, ctx) => {
        const timeoutMs = (input.timeoutSeconds ?? defaultTimeout) * 1000;
        const request: ApprovalRequest = {
          title: input.title,
          amount: input.amount,
          question: `Approve "${input.title}" for ${input.amount}?`,
          expiresAt: new Date(ctx.now.getTime() + timeoutMs).toISOString(),
        };
        const requestId = ctx.requestInput(request);
        const timerId = ctx.sleep(timeoutMs, { requestId });
        ctx.state.set('pending', { title: input.title, amount: input.amount, requestId, timerId } satisfies Pending);
      },
      parseResponse: (response) => parseDecision(response),
      onResponse: (decision: ApprovalDecision, ctx) => {
        const pending = ctx.state.get<Pending>('pending')!;
        ctx.cancelTimer(pending.timerId);
        ctx.state.delete('pending');
        ctx.output({ ...decision, title: pending.title, amount: pending.amount } satisfies ApprovalOutcome);
      },
      onTimer: (_payload, ctx) => {
        const pending = ctx.state.get<Pending>('pending')!;
        ctx.cancelRequest(pending.requestId);
        ctx.state.delete('pending');
        ctx.output({ approved: false, comment: 'rejected automatically: no answer before the timeout', title: pending.title, amount: pending.amount } satisfies ApprovalOutcome);
      },
    })
    .start('ask')
    .build();
}

import type { Checkpoint, RunError } from './checkpoint';
import { CHECKPOINT_FORMAT_VERSION, isTerminal } from './checkpoint';
import { decodeValue, encodeValue } from './codec';
import { InvalidInputError, RunFinishedError, UnknownRequestError } from './errors';
import { assertCompatible, deriveStatus, deriveWakeAt, successor } from './lifecycle';
import type { Workflow } from './workflow';

/** Checkpoint 0 of a new run: the input queued for the start executor. Throws `InvalidInputError`. */
export function startRun(workflow: Workflow, args: { runId: string; input: unknown; now: Date }): Checkpoint {
  const input = workflow.parseInput(args.input);
  const createdAt = args.now.toISOString();
  return {
    version: CHECKPOINT_FORMAT_VERSION,
    runId: args.runId,
    step: 0,
    workflow: workflow.name,
    workflowVersion: workflow.version,
    graphHash: workflow.graphHash,
    status: 'Pending',
    transition: 'start',
    createdAt,
    runCreatedAt: createdAt,
    parent: null,
    messages: [{ source: null, target: workflow.start, kind: 'message', payload: encodeValue(input, workflow.registry) }],
    state: {},
    pendingRequests: [],
    timers: [],
    metrics: { durationMs: 0, bytes: 0 },
  };
}

/** n → n + 1 with the answer queued for the executor that asked. The run goes on running. */
export function answerRequest(workflow: Workflow, checkpoint: Checkpoint, args: { requestId: string; response: unknown; now: Date }): Checkpoint {
  assertCompatible(workflow, checkpoint);
  if (isTerminal(checkpoint.status)) throw new RunFinishedError(checkpoint.runId, checkpoint.status);
  const pending = checkpoint.pendingRequests.find((r) => r.requestId === args.requestId);
  if (!pending) throw new UnknownRequestError(checkpoint.runId, args.requestId);
  const executor = workflow.executors.get(pending.executor);
  const parse = executor?.definition.parseResponse;
  let response = args.response;
  if (parse) {
    try {
      response = parse(args.response, decodeValue(pending.request, workflow.registry));
    } catch (error) {
      if (error instanceof InvalidInputError) throw error;
      throw new InvalidInputError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
  const messages = [
    ...checkpoint.messages,
    {
      source: null,
      target: pending.executor,
      kind: 'response' as const,
      ref: pending.requestId,
      request: pending.request,
      payload: encodeValue(response, workflow.registry),
    },
  ];
  const pendingRequests = checkpoint.pendingRequests.filter((r) => r.requestId !== args.requestId);
  const wakeAt = deriveWakeAt(messages, checkpoint.timers, args.now);
  return successor(checkpoint, 'response', args.now, {
    status: deriveStatus(messages, pendingRequests, checkpoint.timers),
    messages,
    pendingRequests,
    ...(wakeAt ? { wakeAt } : {}),
  });
}

/** n → n + 1, Cancelled. What was queued stays in the checkpoint, so a fork can pick it up. */
export function cancelRun(checkpoint: Checkpoint, args: { reason?: string; now: Date }): Checkpoint {
  if (isTerminal(checkpoint.status)) throw new RunFinishedError(checkpoint.runId, checkpoint.status);
  return successor(checkpoint, 'cancel', args.now, {
    status: 'Cancelled',
    error: { code: 'Cancelled', message: args.reason ?? 'cancelled by request' },
  });
}

/** n → n + 1, Failed, for reasons outside the executors (a poisoned message, an unreadable graph). */
export function failRun(checkpoint: Checkpoint, args: { error: RunError; now: Date }): Checkpoint {
  if (isTerminal(checkpoint.status)) throw new RunFinishedError(checkpoint.runId, checkpoint.status);
  return successor(checkpoint, 'fail', args.now, { status: 'Failed', error: args.error });
}

/**
 * Checkpoint 0 of a new run that continues from `source`: the same messages, state, requests and
 * timers; its status follows from what it holds, so forking a failed or cancelled step retries it.
 */
export function forkRun(workflow: Workflow, source: Checkpoint, args: { runId: string; now: Date }): Checkpoint {
  assertCompatible(workflow, source);
  const createdAt = args.now.toISOString();
  const { wakeAt: _wakeAt, error: _error, attempt: _attempt, ...content } = source;
  const messages = content.messages.map(({ attempt: _a, notBefore: _n, ...m }) => m);
  let status = deriveStatus(messages, content.pendingRequests, content.timers);
  if (status === 'Running' && messages.length > 0) status = 'Pending';
  const wakeAt = deriveWakeAt(messages, content.timers, args.now);
  return {
    ...content,
    runId: args.runId,
    step: 0,
    status,
    transition: 'fork',
    createdAt,
    runCreatedAt: createdAt,
    parent: { runId: source.runId, step: source.step },
    messages,
    metrics: { durationMs: 0, bytes: 0 },
    ...(wakeAt ? { wakeAt } : {}),
  };
}

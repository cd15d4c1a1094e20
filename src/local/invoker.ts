import { randomUUID } from 'node:crypto';
import type { CoreApi, RegisteredFunction } from './core-api';
import type {
  CoreInvocationContext,
  FunctionCallback,
  LogCategory,
  LogLevel,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from './core-types';
import { describeError, type HostLogger } from './logger';

export interface InvocationRequest {
  fn: RegisteredFunction;
  inputData: RpcParameterBinding[];
  triggerMetadata: Record<string, RpcTypedData>;
  invocationId?: string;
  /** Shown in the log line, e.g. "New queue message detected on 'workflow-steps'." */
  reason: string;
}

export interface InvocationOutcome {
  invocationId: string;
  response: RpcInvocationResponse;
  /** The handler's result after postInvocation hooks; `undefined` when it returned nothing. */
  result: unknown;
}

export class InvocationFailedError extends Error {
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    cause: unknown,
  ) {
    super(
      `Function '${functionName}' (Id=${invocationId}) failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'InvocationFailedError';
  }
}

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`Timeout value of ${formatDuration(timeoutMs)} was exceeded by function: Functions.${functionName}`);
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Runs one invocation the way the Functions Node worker does: the programming model's invocation
 * model builds the arguments (real `HttpRequest` / `InvocationContext` objects), preInvocation
 * hooks run, then the handler, then postInvocation hooks, and the model converts the result back
 * to RPC shape.
 */
export class Invoker {
  readonly appHookData: Record<string, unknown> = {};
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly core: CoreApi,
    private readonly logger: HostLogger,
    private readonly functionTimeoutMs: number | undefined,
    /** Sends the invocation's output bindings; a failure here fails the invocation, as in the host. */
    private readonly deliverOutputs: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>,
  ) {}

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const running = this.#run(request);
    this.#inFlight.add(running);
    const forget = (): void => {
      this.#inFlight.delete(running);
    };
    running.then(forget, forget);
    return running;
  }

  /** Waits for running invocations, at most `graceMs`; returns how many were still running. */
  async drain(graceMs: number): Promise<number> {
    if (this.#inFlight.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), timeout]);
    clearTimeout(timer);
    return this.#inFlight.size;
  }

  async #run(request: InvocationRequest): Promise<InvocationOutcome> {
    const name = request.fn.metadata.name;
    const invocationId = request.invocationId ?? randomUUID();
    const started = Date.now();
    this.logger.info(`Executing 'Functions.${name}' (Reason='${request.reason}', Id=${invocationId})`);
    try {
      const { response, result } = await this.#withTimeout(name, this.#invokeThroughModel(request, invocationId));
      await this.deliverOutputs(request.fn, response);
      this.logger.info(`Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return { invocationId, response, result };
    } catch (error) {
      this.logger.error(
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)\n${describeError(error)}`,
      );
      throw new InvocationFailedError(name, invocationId, error);
    }
  }

  async #invokeThroughModel(
    request: InvocationRequest,
    invocationId: string,
  ): Promise<{ response: RpcInvocationResponse; result: unknown }> {
    const { fn } = request;
    let invocationContext: unknown;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.metadata.name,
        inputData: request.inputData,
        triggerMetadata: request.triggerMetadata,
      },
      metadata: fn.metadata,
      state: undefined,
      log: (level, category, message) => this.#log(fn.metadata.name, invocationContext, level, category, message),
    };
    const model = this.core.getProgrammingModel().getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    invocationContext = context;

    const hookData: Record<string, unknown> = {};
    const preContext = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs,
      functionCallback: fn.callback as FunctionCallback,
    };
    coreContext.state = 'preInvocationHooks';
    try {
      for (const hook of this.core.hooks('preInvocation')) await hook(preContext);
    } finally {
      coreContext.state = undefined;
    }

    const postContext = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs: preContext.inputs,
      result: null as unknown,
      error: null as unknown,
    };
    coreContext.state = 'invocation';
    try {
      postContext.result = await model.invokeFunction(context, preContext.inputs, preContext.functionCallback);
    } catch (error) {
      postContext.error = error;
    }
    coreContext.state = 'postInvocationHooks';
    try {
      for (const hook of this.core.hooks('postInvocation')) await hook(postContext);
    } finally {
      coreContext.state = undefined;
    }
    if (postContext.error !== null && postContext.error !== undefined) throw postContext.error;

    const response = await model.getResponse(context, postContext.result);
    return { response, result: postContext.result };
  }

  async #withTimeout<T>(name: string, work: Promise<T>): Promise<T> {
    const limit = this.functionTimeoutMs;
    if (limit === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(name, limit)), limit);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #log(functionName: string, invocationContext: unknown, level: LogLevel, category: LogCategory, message: string): void {
    const logContext = { level, message, category, invocationContext, hookData: {}, appHookData: this.appHookData };
    for (const hook of this.core.hooks('log')) {
      try {
        hook(logContext);
      } catch (error) {
        this.logger.warn(`A log hook threw: ${describeError(error)}`);
      }
    }
    const finalLevel = logContext.level;
    if (category === 'system' && !isWarningOrWorse(finalLevel)) return;
    writeLog(this.logger, finalLevel, `[${functionName}] ${logContext.message}`);
  }
}

export function writeLog(logger: HostLogger, level: LogLevel, line: string): void {
  if (level === 'none') return;
  if (level === 'error' || level === 'critical') logger.error(line);
  else if (level === 'warning') logger.warn(line);
  else logger.info(line);
}

function isWarningOrWorse(level: LogLevel): boolean {
  return level === 'warning' || level === 'error' || level === 'critical';
}

function formatDuration(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const hh = String(Math.floor(totalSeconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor((totalSeconds % 3600) / 60)).padStart(2, '0');
  const ss = String(totalSeconds % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

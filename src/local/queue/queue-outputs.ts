import type { QueueClient } from '@azure/storage-queue';
import type { RegisteredFunction } from '../core-api';
import type { RpcInvocationResponse, RpcTypedData } from '../core-types';
import type { MessageEncoding } from '../host-config';
import { encodeMessageText } from './message-encoding';

export interface QueueOutputTarget {
  functionName: string;
  bindingName: string;
  queue: QueueClient;
}

/**
 * Storage queue output bindings (`output.storageQueue`): after a successful invocation, each value
 * the function set becomes a message; an array becomes one message per element, as in the host.
 */
export class QueueOutputs {
  readonly #targets = new Map<string, QueueOutputTarget[]>();
  readonly #created = new Set<QueueClient>();

  constructor(
    targets: readonly QueueOutputTarget[],
    private readonly encoding: MessageEncoding,
  ) {
    for (const target of targets) {
      const key = target.functionName.toLowerCase();
      this.#targets.set(key, [...(this.#targets.get(key) ?? []), target]);
    }
  }

  async deliver(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    for (const target of this.#targets.get(fn.metadata.name.toLowerCase()) ?? []) {
      const data =
        target.bindingName === '$return'
          ? response.returnValue
          : response.outputData?.find((output) => output.name === target.bindingName)?.data;
      const messages = messagesOf(data);
      if (messages.length === 0) continue;
      if (!this.#created.has(target.queue)) {
        await target.queue.createIfNotExists();
        this.#created.add(target.queue);
      }
      for (const message of messages) {
        await target.queue.sendMessage(encodeMessageText(message, this.encoding));
      }
    }
  }
}

function messagesOf(data: RpcTypedData | null | undefined): (string | Buffer)[] {
  if (!data) return [];
  if (typeof data.string === 'string') return [data.string];
  if (data.bytes) return [Buffer.from(data.bytes)];
  if (typeof data.int === 'number') return [String(data.int)];
  if (typeof data.double === 'number') return [String(data.double)];
  if (typeof data.json === 'string') {
    const value: unknown = JSON.parse(data.json);
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
    return [data.json];
  }
  return [];
}

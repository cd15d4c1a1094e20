/** The Storage queue that carries `{ runId, step }` pointers from one superstep to the next. */
export const DEFAULT_STEP_QUEUE = 'workflow-steps';

/** Where the Functions host moves a message after `maxDequeueCount` failed deliveries. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}

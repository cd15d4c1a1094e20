import { app, type InvocationContext } from '@azure/functions';
import { getApp } from './http/app-instance';

/**
 * One superstep per message. A failure is rethrown so the host redelivers the message after its
 * visibility timeout; on the last delivery the run is first recorded as Failed with the error,
 * so a run never ends silently stuck in the poison queue.
 */
export const advanceRun = async (message: unknown, context: InvocationContext) => {
  const { runtime, settings } = getApp();
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  try {
    const outcome = await runtime.handleQueueMessage(message, { dequeueCount });
    if (outcome.action !== 'advanced') context.debug(`step message: ${JSON.stringify(outcome)}`);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    context.warn(`step message failed (delivery ${dequeueCount} of ${settings.maxDequeueCount}): ${reason}`);
    if (dequeueCount >= settings.maxDequeueCount) {
      await runtime
        .recordPoisoned(message, `the step message failed ${dequeueCount} deliveries; last error: ${reason}`)
        .catch((recordError: unknown) => context.error('could not record the failed run', recordError));
    }
    throw error;
  }
};

app.storageQueue('advanceRun', {
  queueName: '%STEP_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: advanceRun,
});

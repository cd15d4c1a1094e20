import { app, type InvocationContext } from '@azure/functions';
import { getApp } from './http/app-instance';

/** Messages the host gave up on: the run is recorded as Failed with the reason, never left Running. */
export const failPoisonedRun = async (message: unknown, context: InvocationContext) => {
  const { runtime, settings } = getApp();
  const failed = await runtime.recordPoisoned(message, `the step message failed ${settings.maxDequeueCount} deliveries and was moved to the poison queue`);
  context.log(failed ? 'recorded a poisoned run as Failed' : 'poison message for a run that had already finished or does not exist');
};

app.storageQueue('failPoisonedRun', {
  queueName: '%STEP_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: failPoisonedRun,
});

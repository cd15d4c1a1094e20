import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getApp } from './http/app-instance';

/** Finds runs whose message was lost (nothing advanced them for STALLED_RUN_SECONDS) and re-sends it. */
export const sweepStalledRuns = async (_timer: Timer, context: InvocationContext) => {
  const { runtime, settings } = getApp();
  const result = await runtime.sweep({ stalledAfterMs: settings.stalledRunSeconds * 1000 });
  if (result.resent > 0 || result.checked > 0) context.log(`sweeper: checked ${result.checked} runs, re-sent ${result.resent} messages`);
};

app.timer('sweepStalledRuns', {
  schedule: '0 */1 * * * *',
  runOnStartup: false,
  handler: sweepStalledRuns,
});

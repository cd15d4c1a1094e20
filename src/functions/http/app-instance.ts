import type { App } from '../../config';

let instance: App | undefined;

/**
 * The app, made on first use rather than at import: a cold start loads the runtime, the stores
 * and their SDKs only when the first invocation needs them, and a bad setting surfaces as a
 * clear error in that invocation's log.
 */
export function getApp(): App {
  if (!instance) {
    const { createApp } = require('../../config') as typeof import('../../config');
    instance = createApp(process.env);
  }
  return instance;
}

/** Serves `app` instead of the one the settings describe: for tests and for hosts that embed this app. */
export function useApp(app: App | undefined): void {
  instance = app;
}

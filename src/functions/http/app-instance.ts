import { createApp, type App } from '../../config';

let instance: App | undefined;

/**
 * The app, made on first use rather than at import, so a cold start pays only for the SDKs it
 * loads and a bad setting surfaces as a clear error in the first invocation's log.
 */
export function getApp(): App {
  instance ??= createApp(process.env);
  return instance;
}

/** Serves `app` instead of the one the settings describe: for tests and for hosts that embed this app. */
export function useApp(app: App | undefined): void {
  instance = app;
}

/**
 * Runs `stop` once on SIGINT or SIGTERM and then exits; a second signal exits at once.
 * Returns a function that removes the handlers.
 */
export function stopOnSignals(stop: () => Promise<void>, log: (message: string) => void): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal} received: stopping (press Ctrl+C again to force)`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Error while stopping: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

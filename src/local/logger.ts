/** Where the local host writes its console output; tests pass their own to keep it quiet. */
export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function consoleLogger(): HostLogger {
  return {
    info: (message) => console.log(`[${timestamp()}] ${message}`),
    warn: (message) => console.warn(`[${timestamp()}] ${message}`),
    error: (message) => console.error(`[${timestamp()}] ${message}`),
  };
}

export const silentLogger: HostLogger = { info: () => {}, warn: () => {}, error: () => {} };

function timestamp(): string {
  return new Date().toISOString();
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostLogger } from '../../src/local/logger';

export const fixtureAppDir = path.join(__dirname, 'fixtures', 'app');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Collects the host's log lines; set LOCAL_HOST_TEST_LOGS=1 to see them while the tests run. */
export function capturingLogger(): HostLogger & { lines: string[] } {
  const lines: string[] = [];
  const echo = process.env.LOCAL_HOST_TEST_LOGS === '1';
  const add = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    if (echo) console.log(`${level} ${message}`);
  };
  return { lines, info: add('info'), warn: add('warn'), error: add('error') };
}

/** JSON lines the fixture app wrote to `<dir>/<name>.jsonl`. */
export function readRecords<T = Record<string, unknown>>(dir: string, name: string): T[] {
  const file = path.join(dir, `${name}.jsonl`);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

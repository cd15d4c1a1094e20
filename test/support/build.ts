import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Compiles the app once before the suite: end-to-end tests run the built app in child processes. */
export default function setup(): void {
  const root = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}

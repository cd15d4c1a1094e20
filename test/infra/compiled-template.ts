import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ArmTemplate } from './arm-template';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const COMPILED_TEMPLATE = path.join(REPO_ROOT, '.bicep', 'main.json');
const INFRA_DIR = path.join(REPO_ROOT, 'infra');

function newestInfraChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestInfraChange(full));
    else if (/\.(bicep|json)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isCurrent(): boolean {
  return existsSync(COMPILED_TEMPLATE) && statSync(COMPILED_TEMPLATE).mtimeMs >= newestInfraChange(INFRA_DIR);
}

export type CompiledTemplate = { template: ArmTemplate } | { skipReason: string };

/**
 * The template `npm run infra:check` compiled from infra/main.bicep. When it is missing or older
 * than a file in infra/, runs the same check to rebuild it; a failing check is an error here too.
 * Only when no compiler exists on this machine is there nothing to test.
 */
export function compiledTemplate(): CompiledTemplate {
  if (!isCurrent()) {
    const check = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'infra-check.js')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (check.status !== 0) {
      throw new Error(`npm run infra:check failed (status ${check.status}):\n${check.stdout}${check.stderr}`);
    }
    if (!isCurrent()) {
      return {
        skipReason:
          'infra/main.bicep was not compiled (no bicep and no dotnet SDK on this machine), ' +
          'so the ARM template checks are skipped: the infra is NOT verified here.',
      };
    }
  }
  return { template: JSON.parse(readFileSync(COMPILED_TEMPLATE, 'utf8')) as ArmTemplate };
}

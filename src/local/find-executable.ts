import fs from 'node:fs';
import path from 'node:path';

/**
 * Finds a command the way a shell would: in `extraDirs` first (e.g. node_modules/.bin), then on
 * PATH; on Windows with the PATHEXT extensions.
 */
export function findExecutable(name: string, extraDirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const isWindows = process.platform === 'win32';
  const extensions = isWindows ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  const pathDirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...extraDirs, ...pathDirs]) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension.toLowerCase());
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutableFile(candidate: string): boolean {
  try {
    if (!fs.statSync(candidate).isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(candidate, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

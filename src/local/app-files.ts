import fs from 'node:fs';
import path from 'node:path';

/**
 * The app's entry files, as the Functions Node worker finds them: the `main` field of the app's
 * package.json, a file path or a glob. Globs support `*` and `?` within a path segment and `**`
 * for any number of folders; nothing else (no braces, no character classes).
 */
export function findEntryFiles(appDir: string): string[] {
  const packageFile = path.join(appDir, 'package.json');
  let packageJson: unknown;
  try {
    packageJson = JSON.parse(fs.readFileSync(packageFile, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read ${packageFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const main = (packageJson as { main?: unknown }).main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(`${packageFile} has no "main" field: set it to the app's entry files, e.g. "dist/src/functions/*.js"`);
  }
  const files = expandGlob(appDir, main.trim());
  if (files.length === 0) {
    throw new Error(`"main": "${main}" in ${packageFile} matches no file (did you run the build?)`);
  }
  return files;
}

export function expandGlob(baseDir: string, pattern: string): string[] {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  if (/[[\]{}]/.test(normalized)) {
    throw new Error(`Unsupported glob "${pattern}": only *, ? and ** are supported`);
  }
  const segments = normalized.split('/').filter((segment) => segment !== '' && segment !== '.');
  const root = path.isAbsolute(pattern) ? path.parse(path.resolve(pattern)).root : path.resolve(baseDir);
  const matches = new Set<string>();
  walk(root, segments, matches);
  return [...matches].sort();
}

function walk(dir: string, segments: readonly string[], matches: Set<string>): void {
  const [segment, ...rest] = segments;
  if (segment === undefined) return;
  if (segment === '**') {
    walk(dir, rest, matches);
    for (const child of listDirectories(dir)) walk(path.join(dir, child), segments, matches);
    return;
  }
  if (!/[*?]/.test(segment)) {
    const next = path.join(dir, segment);
    visit(next, rest, matches);
    return;
  }
  const matcher = segmentMatcher(segment);
  for (const entry of listEntries(dir)) {
    if (matcher.test(entry)) visit(path.join(dir, entry), rest, matches);
  }
}

function visit(target: string, rest: readonly string[], matches: Set<string>): void {
  if (rest.length === 0) {
    if (isFile(target)) matches.add(target);
  } else {
    walk(target, rest, matches);
  }
}

function segmentMatcher(segment: string): RegExp {
  const source = segment
    .split('')
    .map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : char.replace(/[.+^$()|\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

function listEntries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function listDirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules')
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function isFile(target: string): boolean {
  try {
    return fs.statSync(target).isFile();
  } catch {
    return false;
  }
}

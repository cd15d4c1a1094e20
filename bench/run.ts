import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * One bench section: it prints its own tables and returns its figures as JSON, written to
 * bench/results.json under `name`. Sections are independent: one failing does not stop the others.
 */
interface Section {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Every bench `npm run bench` knows; to add one, add one line here. Each module is loaded only
 * when its section runs, so one that fails to load fails its section alone.
 */
const SECTIONS: Section[] = [
  { name: 'counter', run: async () => (require('./counter-section') as typeof import('./counter-section')).benchCounter() },
  { name: 'cosmos', run: async () => (require('./cosmos-requests') as typeof import('./cosmos-requests')).benchCosmosRequests() },
  { name: 'e2e', run: async () => (require('./e2e') as typeof import('./e2e')).benchE2e() },
  { name: 'import', run: async () => (require('./import-time') as typeof import('./import-time')).benchImportTime() },
];

const RESULTS_FILE = resolve(__dirname, '../../bench/results.json');

async function main(args: string[]): Promise<number> {
  const selected = selectSections(args);
  if (typeof selected === 'string') {
    console.error(selected);
    return 2;
  }
  const results = readPreviousResults();
  results['environment'] = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    at: new Date().toISOString(),
  };
  const failed: string[] = [];
  for (const section of selected) {
    console.log(`\n=== ${section.name} ===\n`);
    try {
      results[section.name] = await section.run();
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`bench section '${section.name}' failed: ${message}`);
      results[section.name] = { error: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
      failed.push(section.name);
    }
  }
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS_FILE}`);
  if (failed.length > 0) console.error(`failed sections: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

/** The sections named on the command line, in the order given; none named means all. */
function selectSections(args: string[]): Section[] | string {
  if (args.length === 0) return SECTIONS;
  const known = SECTIONS.map((s) => s.name);
  const unknown = args.filter((name) => !known.includes(name));
  if (unknown.length > 0) return `unknown bench section(s): ${unknown.join(', ')}; known: ${known.join(', ')}`;
  return args.map((name) => SECTIONS.find((s) => s.name === name)!);
}

/** Keeps the figures of sections not run this time. */
function readPreviousResults(): Record<string, unknown> {
  if (!existsSync(RESULTS_FILE)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    console.error(`${RESULTS_FILE} is not valid JSON; starting it afresh`);
    return {};
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);

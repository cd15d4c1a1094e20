import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portAnswers } from '../../src/local/tcp-probe';
import { startAzurite, type TestAzurite } from '../support/azurite';
import { eventually, fixtureAppDir, tempDir } from './helpers';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * Builds the local host alone (not the rest of the app) into a scratch project that holds a copy
 * of the fixture app, so the commands run as `node dist/src/local/<command>.js` would.
 */
function buildScratchProject(): string {
  const projectDir = tempDir('local-host-cli-');
  execFileSync(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir', path.join(projectDir, 'dist'),
      '--rootDir', repoRoot,
      '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--lib', 'ES2023',
      '--types', 'node', '--strict', '--esModuleInterop', '--skipLibCheck',
      path.join(repoRoot, 'src', 'local', 'host.ts'),
      path.join(repoRoot, 'src', 'local', 'start.ts'),
    ],
    { cwd: repoRoot, stdio: 'pipe' },
  );
  fs.cpSync(fixtureAppDir, projectDir, { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(projectDir, 'node_modules'), 'junction');
  return projectDir;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(script: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exit };
}

const readyUrl = (running: Running): Promise<string> =>
  eventually(() => /Local Functions host ready at (http:\/\/\S+)/.exec(running.output())?.[1], 'the ready line', 60_000);

describe('commands', () => {
  let projectDir: string;
  let azurite: TestAzurite;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    projectDir = buildScratchProject();
    azurite = await startAzurite();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await azurite?.stop();
  });

  it('host.js serves the app until SIGINT, then exits with code 0', async () => {
    const outDir = tempDir('local-host-cli-out-');
    const host = run(path.join(projectDir, 'dist', 'src', 'local', 'host.js'), ['--app', projectDir, '--port', '0', '--queue-lease-seconds', '5'], {
      AzureWebJobsStorage: azurite.connectionString,
      RECORD_QUEUE: 'records',
      FIXTURE_OUT_DIR: outDir,
    });
    children.push(host.child);
    const url = await readyUrl(host);
    expect(await (await fetch(`${url}/api/hello`)).text()).toBe('hello world');
    expect((await fetch(`${url}/admin/host/status`)).status).toBe(200);

    host.child.kill('SIGINT');
    expect(await host.exit).toEqual({ code: 0, signal: null });
    expect(host.output()).toContain('Local Functions host stopped');
  });

  it('host.js exits with a clear message when the app cannot load or a flag is wrong', async () => {
    const empty = tempDir('local-host-cli-empty-');
    const noApp = run(path.join(projectDir, 'dist', 'src', 'local', 'host.js'), ['--app', empty, '--port', '0'], {});
    expect((await noApp.exit).code).toBe(1);
    expect(noApp.output()).toContain(`Cannot read ${path.join(empty, 'package.json')}`);

    const badFlag = run(path.join(projectDir, 'dist', 'src', 'local', 'host.js'), ['--port', 'seventy'], {});
    expect((await badFlag.exit).code).toBe(2);
    expect(badFlag.output()).toContain('--port must be an integer from 0 to 65535, got "seventy"');
  });

  it('start.js starts Azurite and the local host, and Ctrl+C stops both', async (context) => {
    const standardPorts = [10000, 10001, 10002];
    const busy = await Promise.all(standardPorts.map((port) => portAnswers('127.0.0.1', port)));
    if (busy.some(Boolean)) {
      context.skip('a storage emulator already runs on the standard ports');
      return;
    }
    const outDir = tempDir('local-host-start-out-');
    const start = run(path.join(projectDir, 'dist', 'src', 'local', 'start.js'), ['--port', '0'], {
      RECORD_QUEUE: 'records',
      FIXTURE_OUT_DIR: outDir,
      // No Core Tools on this PATH, so the local host runs.
      PATH: path.dirname(process.execPath),
    });
    children.push(start.child);
    const url = await readyUrl(start);
    const output = start.output();
    expect(output).toContain('local.settings.json not found: using the built-in defaults');
    expect(output).toContain('Local Functions host (Core Tools not found)');
    expect(output).toContain('Azurite started');
    expect(output).toContain('Checkpoint store: file (CHECKPOINT_STORE; CHECKPOINT_DIR=.data/checkpoints)');
    expect(await (await fetch(`${url}/api/hello`)).text()).toBe('hello world');
    expect(await portAnswers('127.0.0.1', 10001)).toBe(true);
    expect(fs.existsSync(path.join(projectDir, '.data', 'azurite'))).toBe(true);

    start.child.kill('SIGINT');
    expect(await start.exit).toEqual({ code: 0, signal: null });
    await eventually(async () => ((await portAnswers('127.0.0.1', 10001)) ? undefined : true), 'Azurite to be gone', 10_000);
  });
});

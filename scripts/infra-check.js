#!/usr/bin/env node
/*
 * npm run infra:check — compiles infra/main.bicep to ARM JSON and lints every .bicep file under
 * infra/ with the real Bicep compiler. Any error or warning fails the check.
 *
 * Which compiler:
 *   1. `bicep` on PATH, whatever its version;
 *   2. else the NuGet package Azure.Bicep.CommandLine.<rid> (version below), restored once with
 *      the dotnet SDK into .bicep/packages (git-ignored) and reused from there.
 *
 * Output: .bicep/main.json, the compiled template test/infra/arm.test.ts reads. It is written
 * only when the build is clean, and removed when it is not, so no test reads a stale template.
 *
 * Exit status:
 *   0  compiled and linted clean;
 *   0  neither bicep nor dotnet on this machine: a loud notice says the infra was NOT verified
 *      (so a machine without the tools can still run the rest of CI honestly);
 *   1  compile error, any warning or linter finding, or the compiler could not be restored;
 *   2  neither tool present and INFRA_CHECK_REQUIRE_COMPILER=1 is set (use it where the check
 *      must not be skipped).
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BICEP_VERSION = '0.49.2';
const REPO_ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(REPO_ROOT, '.bicep');
const MAIN_BICEP = path.join('infra', 'main.bicep');
const COMPILED_TEMPLATE = path.join(CACHE_DIR, 'main.json');
const IS_WINDOWS = process.platform === 'win32';

/** Lines that carry a diagnostic: `file(line,col) : Warning rule: ...` or any Error/Warning word. */
const DIAGNOSTIC = /\b(Warning|Error)\b/;

function log(message) {
  process.stdout.write(`infra:check: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`infra:check: FAILED: ${message}\n`);
  process.exit(1);
}

function findOnPath(command) {
  const names = IS_WINDOWS ? [`${command}.exe`, `${command}.cmd`, command] : [command];
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, ...options.env },
  });
  if (result.error) {
    fail(`could not run ${command}: ${result.error.message}`);
  }
  return { status: result.status, output: `${result.stdout || ''}${result.stderr || ''}` };
}

/** The runtime identifier of the Bicep CLI package for this machine. */
function bicepRuntimeId() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!arch) fail(`no Bicep CLI package for CPU architecture ${process.arch}; put bicep on PATH`);
  if (process.platform === 'win32') return `win-${arch}`;
  if (process.platform === 'darwin') return `osx-${arch}`;
  if (process.platform === 'linux') {
    const report = process.report && process.report.getReport();
    const isMusl = report && report.header && !report.header.glibcVersionRuntime;
    return isMusl ? `linux-musl-${arch}` : `linux-${arch}`;
  }
  fail(`no Bicep CLI package for ${process.platform}; put bicep on PATH`);
}

function findFile(dir, fileName) {
  if (!fs.existsSync(dir)) return undefined;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === fileName) return full;
    if (entry.isDirectory()) {
      const found = findFile(full, fileName);
      if (found) return found;
    }
  }
  return undefined;
}

/** The target framework the installed SDK restores for without complaint (net8.0 on SDK 8.x, ...). */
function targetFramework(dotnet) {
  const { status, output } = run(dotnet, ['--version']);
  const major = status === 0 ? /^(\d+)\./.exec(output.trim()) : null;
  return major ? `net${major[1]}.0` : 'net8.0';
}

/** Restores the Bicep CLI NuGet package into .bicep/packages (once) and returns its executable. */
function restoreBicep(dotnet) {
  const packageId = `Azure.Bicep.CommandLine.${bicepRuntimeId()}`;
  const packagesDir = path.join(CACHE_DIR, 'packages');
  const packageDir = path.join(packagesDir, packageId.toLowerCase(), BICEP_VERSION);
  const executableName = IS_WINDOWS ? 'bicep.exe' : 'bicep';

  let executable = findFile(path.join(packageDir, 'tools'), executableName);
  if (!executable) {
    log(`restoring ${packageId} ${BICEP_VERSION} with the dotnet SDK (first run only)...`);
    const projectDir = path.join(CACHE_DIR, 'restore');
    fs.mkdirSync(projectDir, { recursive: true });
    const project = path.join(projectDir, 'bicep-cli.csproj');
    fs.writeFileSync(
      project,
      [
        '<Project Sdk="Microsoft.NET.Sdk">',
        '  <PropertyGroup>',
        `    <TargetFramework>${targetFramework(dotnet)}</TargetFramework>`,
        '  </PropertyGroup>',
        '  <ItemGroup>',
        `    <PackageDownload Include="${packageId}" Version="[${BICEP_VERSION}]" />`,
        '  </ItemGroup>',
        '</Project>',
        '',
      ].join('\n'),
    );
    const restore = run(dotnet, ['restore', project, '--packages', packagesDir], {
      env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' },
    });
    if (restore.status !== 0) {
      fail(`dotnet restore of ${packageId} ${BICEP_VERSION} failed:\n${restore.output}`);
    }
    executable = findFile(path.join(packageDir, 'tools'), executableName);
    if (!executable) fail(`${packageId} ${BICEP_VERSION} restored but has no tools/${executableName}`);
  }
  if (!IS_WINDOWS) fs.chmodSync(executable, 0o755);
  return executable;
}

function printNotVerifiedNotice() {
  const bar = '!'.repeat(78);
  process.stderr.write(
    [
      bar,
      '!!  INFRA NOT VERIFIED',
      '!!',
      '!!  Neither `bicep` nor the `dotnet` SDK is on PATH, so infra/main.bicep was',
      '!!  NOT compiled and NOT linted, and test/infra/arm.test.ts will skip.',
      '!!  Install the Bicep CLI or the .NET SDK and run `npm run infra:check`.',
      '!!  (Set INFRA_CHECK_REQUIRE_COMPILER=1 to make this an error.)',
      bar,
      '',
    ].join('\n'),
  );
}

/** Runs one compiler command; fails on a non-zero status or on any Error/Warning it prints. */
function runClean(bicep, args, what) {
  const { status, output } = run(bicep, args);
  const findings = output.split(/\r?\n/).filter((line) => DIAGNOSTIC.test(line));
  if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  if (status !== 0 || findings.length > 0) {
    const reason = findings.length > 0 ? `${findings.length} error(s)/warning(s)` : `exit status ${status}`;
    return `${what}: ${reason}`;
  }
  return undefined;
}

function main() {
  let bicep = findOnPath('bicep');
  if (bicep) {
    log(`using ${bicep}`);
  } else {
    const dotnet = findOnPath('dotnet');
    if (!dotnet) {
      printNotVerifiedNotice();
      process.exit(process.env.INFRA_CHECK_REQUIRE_COMPILER === '1' ? 2 : 0);
    }
    bicep = restoreBicep(dotnet);
  }

  const version = run(bicep, ['--version']);
  if (version.status !== 0) fail(`${bicep} --version failed:\n${version.output}`);
  log(version.output.trim());

  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const building = `${COMPILED_TEMPLATE}.building`;
  fs.rmSync(COMPILED_TEMPLATE, { force: true });
  const buildProblem = runClean(bicep, ['build', MAIN_BICEP, '--outfile', building, '--no-restore'], `bicep build ${MAIN_BICEP}`);
  if (buildProblem) {
    fs.rmSync(building, { force: true });
    fail(buildProblem);
  }
  fs.renameSync(building, COMPILED_TEMPLATE);

  const lintProblem = runClean(bicep, ['lint', '--pattern', 'infra/**/*.bicep', '--no-restore'], 'bicep lint infra/**/*.bicep');
  if (lintProblem) fail(lintProblem);

  log(`passed: ${MAIN_BICEP} compiles to ${path.relative(REPO_ROOT, COMPILED_TEMPLATE)} and lints clean`);
}

main();

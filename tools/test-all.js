#!/usr/bin/env node
// `npm test`: type-checks and builds every project, checks the packages' API reports, runs every project's tests
// through Nx, then prints one line for the whole workspace: `N passed, N failed`.
const { spawnSync } = require('child_process');
const { readdirSync, readFileSync, rmSync } = require('fs');
const path = require('path');
const { checkTestLogs } = require('./check-test-logs');

const root = path.resolve(__dirname, '..');
const resultsDir = path.join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });
// every Nest Logger line of the test processes, grepped for redacted values at the end (tools/check-test-logs.js)
const logsDir = path.join(root, 'tmp', 'test-logs');
rmSync(logsDir, { recursive: true, force: true });
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  THREADLINE_TEST_LOG_DIR: logsDir,
};
const nx = require.resolve('nx/bin/nx');
const nxArgs = (target) => [
  nx,
  'run-many',
  '-t',
  target,
  '--parallel=1',
  '--outputStyle=stream',
  ...process.argv.slice(2),
];

// Lint and format check first: they take seconds and a failure says exactly where.
const lint = spawnSync('npm', ['run', '--silent', 'lint'], { stdio: 'inherit', cwd: root, env });
if (lint.status !== 0) console.error('\nLint or format check failed (npm run lint; npm run format fixes formatting).');
// Jest compiles tests with swc, which strips types: this is what type-checks them.
const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck:tests'], { stdio: 'inherit', cwd: root, env });
if (typecheck.status !== 0) console.error('\nThe tests do not type-check (npm run typecheck:tests).');
const build = spawnSync(process.execPath, nxArgs('build'), { stdio: 'inherit', cwd: root, env });
// The public API of each package against its checked-in report (libs/<lib>/<lib>.api.md), from the build;
// with --projects, only those (the others may not be built).
const projectsArg = process.argv
  .slice(2)
  .find((arg, i, args) => arg.startsWith('--projects=') || args[i - 1] === '--projects');
const projects = projectsArg ? projectsArg.replace(/^--projects=/, '').split(',') : [];
const apiCheck =
  build.status === 0
    ? spawnSync(process.execPath, [path.join(root, 'tools', 'api-report.js'), ...projects], {
        stdio: 'inherit',
        cwd: root,
        env,
      })
    : { status: 1 };
if (build.status === 0 && apiCheck.status !== 0)
  console.error('\nThe public API differs from its report (npm run api:check; npm run api:update updates the report).');
let failedSuites =
  (build.status === 0 ? 0 : 1) +
  (lint.status === 0 ? 0 : 1) +
  (typecheck.status === 0 ? 0 : 1) +
  (build.status !== 0 || apiCheck.status === 0 ? 0 : 1);
const test =
  build.status === 0
    ? spawnSync(process.execPath, nxArgs('test'), { stdio: 'inherit', cwd: root, env })
    : { status: 1 };

let passed = 0;
let failed = 0;
let files = [];
try {
  files = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
} catch {
  // no project produced results
}
for (const file of files) {
  const result = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  failedSuites += result.numRuntimeErrorTestSuites;
}
if (build.status !== 0) console.error('\nThe build failed, so no test ran.');
else if (test.status !== 0 && failed === 0) {
  console.error('\nA test project failed outside its tests (a suite that could not load, or a crash).');
}
if (build.status === 0) {
  const logs = checkTestLogs(logsDir);
  console.log(`\nLog lines of the test processes checked for redacted values: ${logs.lines} (${logs.files} files)`);
  if (logs.leaks.length) {
    console.error(`A redacted value appears in ${logs.leaks.length} log line(s):`);
    for (const leak of logs.leaks.slice(0, 20)) console.error(`  ${leak.value}: ${leak.line}`);
    failedSuites++;
  } else if (logs.lines === 0 && passed > 0) {
    console.error('No log line was captured: tools/testing/log-capture.ts did not run, so nothing was checked.');
    failedSuites++;
  }
}
failed += failedSuites;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || test.status !== 0 || passed === 0 ? 1 : 0);

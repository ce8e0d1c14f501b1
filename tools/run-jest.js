#!/usr/bin/env node
// Runs one project's Jest suite (the Nx `test` target) and records its counts
// in tmp/test-results/ so `npm test` can print one workspace-wide summary.
const { spawnSync } = require('child_process');
const { mkdirSync } = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const [project, ...jestArgs] = process.argv.slice(2);
const resultsDir = path.join(root, 'tmp', 'test-results');
mkdirSync(resultsDir, { recursive: true });
const outputFile = path.join(resultsDir, `${project.replace(/[\\/]/g, '-')}.json`);
const jest = require.resolve('jest/bin/jest');
const run = spawnSync(
  process.execPath,
  [jest, '--config', path.join(root, project, 'jest.config.js'), '--json', `--outputFile=${outputFile}`, ...jestArgs],
  { stdio: 'inherit', cwd: root },
);
process.exit(run.status ?? 1);

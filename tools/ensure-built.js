#!/usr/bin/env node
// `npm run cli` runs this first: when no source of the demo or of a lib is
// newer than the demo's compiled CLI, it does nothing (tens of milliseconds);
// otherwise it runs the Nx build, which rebuilds only the projects whose
// inputs changed and replays the rest from its cache.
const { execFileSync } = require('child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'apps/demo-api/dist/cli.js');
const sources = [
  'apps/demo-api',
  ...readdirSync(path.join(root, 'libs')).map((lib) => `libs/${lib}`),
  'tools/embedded-postgres',
];

function newest(dir) {
  let latest = 0;
  if (!existsSync(dir)) return latest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : statSync(file).mtimeMs);
  }
  return latest;
}

const built = existsSync(target) ? statSync(target).mtimeMs : 0;
const changed = sources.some((project) =>
  ['src', 'package.json', 'tsconfig.json'].some((part) => {
    const file = path.join(root, project, part);
    return existsSync(file) && (statSync(file).isDirectory() ? newest(file) : statSync(file).mtimeMs) > built;
  }),
);
if (changed) {
  execFileSync(process.execPath, [require.resolve('nx/bin/nx'), 'run', 'demo-api:build', '--outputStyle=stream'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Built from these sources now, even when nothing in the output had to change.
  const now = new Date();
  utimesSync(target, now, now);
}

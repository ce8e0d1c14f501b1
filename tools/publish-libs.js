#!/usr/bin/env node
// `npm run release -- --registry <url>`: publishes every package of libs/ to a registry, each after the
// packages it depends on (read from their package.json, so no second list to keep). Arguments after `--`
// go to every `npm publish` (--registry, --tag, --dry-run ...). Scoped packages are published public.
// Each lib's prepack refuses an unbuilt package; the release script builds first (tools/ensure-built.js).
const { execFileSync } = require('child_process');
const { readdirSync, readFileSync } = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const libs = readdirSync(path.join(root, 'libs')).map((dir) => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'libs', dir, 'package.json'), 'utf8'));
  return { dir, name: pkg.name, version: pkg.version, deps: Object.keys(pkg.dependencies ?? {}) };
});
const names = new Set(libs.map((l) => l.name));
const ordered = [];
const visit = (lib, seen = new Set()) => {
  if (ordered.includes(lib)) return;
  if (seen.has(lib)) throw new Error(`libs depend on each other in a circle at ${lib.name}`);
  seen.add(lib);
  for (const dep of lib.deps.filter((d) => names.has(d)))
    visit(
      libs.find((l) => l.name === dep),
      seen,
    );
  ordered.push(lib);
};
for (const lib of libs) visit(lib);

const args = process.argv.slice(2);
for (const [i, lib] of ordered.entries()) {
  process.stderr.write(`[${i + 1}/${ordered.length}] npm publish ${lib.name}@${lib.version}\n`);
  execFileSync('npm', ['publish', '--access', 'public', ...args], {
    cwd: path.join(root, 'libs', lib.dir),
    stdio: 'inherit',
  });
}
process.stderr.write(`Published ${ordered.map((l) => `${l.name}@${l.version}`).join(', ')}\n`);

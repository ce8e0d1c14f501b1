#!/usr/bin/env node
// `prepack` of every published lib: `npm pack` or `npm publish` of a lib whose dist/ is missing would
// silently pack a package with no code (its `files` list only dist/), so refuse, saying how to build.
// A lib that reads SQL files at run time (capture's sql/, next to dist/) must have them too: without
// them the package would pack fine and fail at its first migration.
const { existsSync, readdirSync } = require('fs');
const path = require('path');

const dir = process.cwd();
const pkg = require(path.join(dir, 'package.json'));
const missing = ['dist/index.js', 'dist/index.d.ts'].filter((file) => !existsSync(path.join(dir, file)));
if (missing.length) {
  process.stderr.write(
    `${pkg.name} is not built (${missing.join(', ')} missing), so this package would have no code. ` +
      'Run `npm run build` at the repository root, then pack or publish again.\n',
  );
  process.exit(1);
}
const sql = path.join(dir, 'sql');
if ((pkg.files ?? []).some((file) => file.startsWith('sql/'))) {
  if (!existsSync(sql) || !readdirSync(sql).some((file) => file.endsWith('.sql'))) {
    process.stderr.write(`${pkg.name} ships its install SQL from sql/, but sql/ has no .sql file.\n`);
    process.exit(1);
  }
}

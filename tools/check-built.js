#!/usr/bin/env node
// `prepack` of every published lib: `npm pack` or `npm publish` of a lib whose dist/ is missing would
// silently pack a package with no code (its `files` list only dist/), so refuse, saying how to build.
const { existsSync } = require('fs');
const path = require('path');

const dir = process.cwd();
const missing = ['dist/index.js', 'dist/index.d.ts'].filter((file) => !existsSync(path.join(dir, file)));
if (missing.length) {
  const name = require(path.join(dir, 'package.json')).name;
  process.stderr.write(
    `${name} is not built (${missing.join(', ')} missing), so this package would have no code. ` +
      'Run `npm run build` at the repository root, then pack or publish again.\n',
  );
  process.exit(1);
}

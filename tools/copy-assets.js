#!/usr/bin/env node
// Copies a project's non-TypeScript source files that the code reads at run
// time (the operator pages' CSS and browser script under src/**/assets/) into
// dist/, next to the compiled code that reads them. tsc copies only .ts.
const { cpSync, existsSync, readdirSync, statSync } = require('fs');
const path = require('path');

for (const project of process.argv.slice(2)) {
  const src = path.resolve(project, 'src');
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (!statSync(file).isDirectory()) continue;
      if (entry === 'assets') cpSync(file, path.join(project, 'dist', path.relative(src, file)), { recursive: true });
      else walk(file);
    }
  };
  if (existsSync(src)) walk(src);
}

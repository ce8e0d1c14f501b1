#!/usr/bin/env node
// Deletes compiled files in <project>/dist whose TypeScript source no longer
// exists. tsc never removes outputs of deleted sources, and a stale file
// would be loaded anyway (TypeORM's migrations glob) or packed into a lib.
const { existsSync, readdirSync, rmSync, statSync } = require('fs');
const path = require('path');

const OUTPUT = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;

for (const project of process.argv.slice(2)) {
  const dist = path.resolve(project, 'dist');
  const src = path.resolve(project, 'src');
  if (!existsSync(dist)) continue;
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (statSync(file).isDirectory()) walk(file);
      else if (OUTPUT.test(entry) && !existsSync(path.join(src, path.relative(dist, file)).replace(OUTPUT, '.ts')))
        rmSync(file);
    }
  };
  walk(dist);
}

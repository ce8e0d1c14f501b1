import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { LIBS } from '@threadline/testing/packed';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The fenced TypeScript blocks of a Markdown file, with the line each starts on. */
function typescriptBlocks(file: string): { line: number; code: string }[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: { line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== '```');
    blocks.push({ line: start + 1, code: lines.slice(start, i).join('\n') });
  }
  return blocks;
}

/**
 * Every TypeScript example of the README compiles, as a user would copy it, under `strict` (all of it) with the
 * packages' own types: a copied example that fails a strict build (TS2339 on req.user, an option that is not
 * there) is a bug here.
 */
describe('README TypeScript examples', () => {
  const blocks = typescriptBlocks('README.md');

  it('there are examples to check, each a whole module with its imports', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks)
      expect({ line: block.line, imports: /^import /m.test(block.code) }).toEqual({ line: block.line, imports: true });
  });

  it('each compiles under strict with the published types', () => {
    const dir = path.join(ROOT, 'tmp', 'readme-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // each block in a folder of its own; one that imports './app.module' (the cli.ts example) gets the app's module
    const files = blocks.flatMap((block) => {
      const folder = path.join(dir, `readme-line-${block.line}`);
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'example.ts'), block.code);
      if (!block.code.includes("from './app.module'")) return [path.join(folder, 'example.ts')];
      writeFileSync(path.join(folder, 'app.module.ts'), blocks[0].code);
      return [path.join(folder, 'example.ts'), path.join(folder, 'app.module.ts')];
    });
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.spec.json',
        compilerOptions: {
          strict: true,
          strictPropertyInitialization: true,
          noUnusedLocals: true,
          types: ['node'],
          // the built packages' declarations, as an app gets them from npm (npm test builds before testing)
          paths: Object.fromEntries(
            LIBS.map((lib) => [`@threadline/${lib}`, [path.join(ROOT, 'libs', lib, 'dist', 'index.d.ts')]]),
          ),
        },
        include: [],
        files,
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    // errors name the README line the block starts on (readme-line-N/example.ts)
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);
});

import { spawnSync } from 'child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** `npm pack` run as a releaser runs it, in a copy of one lib laid out like the repository. */
describe('npm pack of a published lib', () => {
  let work: string;
  let lib: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'threadline-prepack-'));
    lib = path.join(work, 'libs', 'core');
    mkdirSync(lib, { recursive: true });
    mkdirSync(path.join(work, 'tools'));
    copyFileSync(path.join(ROOT, 'libs', 'core', 'package.json'), path.join(lib, 'package.json'));
    copyFileSync(path.join(ROOT, 'tools', 'check-built.js'), path.join(work, 'tools', 'check-built.js'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));
  const pack = () => spawnSync('npm', ['pack', '--silent'], { cwd: lib, encoding: 'utf8' });

  it('refuses an unbuilt lib, saying how to build it, instead of packing a package with no code', () => {
    const run = pack();
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      '@threadline/core is not built (dist/index.js, dist/index.d.ts missing), so this package would have no code. Run `npm run build` at the repository root',
    );
    expect(readdirSync(lib).filter((f) => f.endsWith('.tgz'))).toEqual([]);
  });

  it('packs a built one', () => {
    mkdirSync(path.join(lib, 'dist'));
    writeFileSync(path.join(lib, 'dist', 'index.js'), 'module.exports = {};\n');
    writeFileSync(path.join(lib, 'dist', 'index.d.ts'), 'export {};\n');
    const run = pack();
    expect(run.status).toBe(0);
    expect(readdirSync(lib).filter((f) => f.endsWith('.tgz'))).toHaveLength(1);
  });
});

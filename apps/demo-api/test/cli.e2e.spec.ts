import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { auditSchemaSql } from '@threadline/capture';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'fs';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';

const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');
const MIGRATIONS = path.resolve(__dirname, '..', 'src', 'migrations');

describeOnOneMajor('demo CLI (spawned like `npm run cli -- ...`)', () => {
  let db: TestDatabase;
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it first (tsc -b apps/demo-api)`);
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('install --dry-run prints exactly the SQL of the install migration and writes nothing', () => {
    const before = readdirSync(MIGRATIONS);
    const run = cli('install', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(auditSchemaSql('public').up);
    expect(readdirSync(MIGRATIONS)).toEqual(before);
  });

  it('install finds the committed migration and says so', () => {
    const run = cli('install');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Already installed: .*threadline-install\.ts holds the Threadline install migration; nothing written\.\n$/,
    );
  });

  it('--help prints the commands and exits 0, without a stray "(outputHelp)"', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('display help for command');
    expect(help.stdout + help.stderr).not.toContain('(outputHelp)');
  });

  it('fails with the reason on stderr and exit 1 for an unknown table', () => {
    const run = cli('gen-triggers', '--tables', 'users,no_such_table', '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('table public.no_such_table does not exist in the database');
  });

  it('after migrate, the committed trigger migration runs exactly the SQL the app options generate (no drift)', async () => {
    const migrate = cli('migrate', '--json');
    expect(migrate.code).toBe(0);
    expect(JSON.parse(migrate.stdout).applied).toHaveLength(readdirSync(MIGRATIONS).length);
    expect(JSON.parse(migrate.stdout).ddlEventTrigger).toBe('fires');
    expect(migrate.stderr).not.toContain('DDL event trigger');
    const run = cli('gen-triggers', '--json', '--dry-run');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.tables).toEqual(['public.post_tags', 'public.posts', 'public.users']);
    // What the committed migration runs, captured by calling its up() with a recording query runner.
    // The newest one: older ones stay, as in an app that upgraded Threadline (v1 functions, then regenerated).
    const file = readdirSync(MIGRATIONS)
      .filter((f) => f.endsWith('-threadline-triggers.ts'))
      .sort()
      .pop()!;
    const module = await import(path.join(MIGRATIONS, file));
    const Migration = Object.values(module)[0] as new () => {
      up(q: { query(sql: string): Promise<void> }): Promise<void>;
    };
    const executed: string[] = [];
    await new Migration().up({ query: async (sql: string) => void executed.push(sql) });
    expect(executed).toEqual([doc.up]);
    // and the database, not the files, says so
    const again = cli('gen-triggers');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Up to date: the database already runs this capture');
    expect(cli('policy', 'show').code).toBe(0);
  });

  it('says at boot and after migrate when schema changes are not followed by themselves, and what to do', async () => {
    expect(cli('migrate').code).toBe(0);
    await db.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    try {
      const json = cli('migrate', '--json');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ddlEventTrigger: 'disabled',
        warning: expect.stringMatching(
          /threadline_ddl is disabled.*relies on it and does not guard itself.*writes to that table fail.*recorded unmasked in every image.*gen-triggers.*ENABLE ALWAYS/,
        ),
      });
      const text = cli('migrate');
      expect(text.code).toBe(0);
      expect(text.stderr).toMatch(/threadline_ddl is disabled\. Capture generated while it was enabled relies on it/);
    } finally {
      await db.query(`ALTER EVENT TRIGGER threadline_ddl ENABLE ALWAYS`);
    }
  });

  it('gen-triggers --store-changed-from writes a new migration into --dir', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), 'migrations');
    const run = cli('gen-triggers', '--tables', 'posts', '--store-changed-from', '--dir', dir);
    expect(run.code).toBe(0);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\d+-threadline-triggers\.ts$/)]);
    expect(run.stdout).toContain('(tables: public.posts)');
  });

  it('retention purge refuses to delete without --execute, dry-runs with counts, and executes with a summary', () => {
    const refused = cli('retention', 'purge');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to delete without --execute; run with --dry-run first');
    const dry = cli('retention', 'purge', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      status: 'completed',
      dryRun: true,
      deletedChanges: 0,
      maxBatches: 10000,
    });
    const run = cli('retention', 'purge', '--execute', '--batch-size', '100');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^deleted 0 changes and 0 empty transactions captured before .+\nbatches: 0 of at most 10000\nduration: \d+ ms\n$/,
    );
    const bad = cli('retention', 'purge', '--execute', '--cutoff', '2999-01-01T00:00:00Z');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is newer than the policy allows');
  });

  it('retention hold, holds and release-hold set, list and end a legal hold, named by the dry run; bad input is refused', async () => {
    const missing = cli('retention', 'hold', '--table', 'posts', '--by', 'legal');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("a legal hold's reason is required (--reason on the command line)");
    // a flag given twice, or an argument the command does not take: refused, not a silent choice
    const twice = cli('retention', 'hold', '--table', 'posts', '--table', 'users', '--reason', 'r', '--by', 'legal');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('--table was given more than once; give it once');
    const extra = cli('retention', 'hold', '--table', 'posts', '--reason', 'r', '--by', 'legal', 'extra');
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain('unexpected argument "extra"; usage: retention hold [timeline filters]');
    const typo = cli('retention', 'hold', '--table', 'postz', '--reason', 'typo', '--by', 'legal');
    expect(typo.code).toBe(0);
    expect(typo.stdout).toContain('it covers no change captured so far: check the filters');
    const typoId = /^hold (\d+)/.exec(typo.stdout)![1];
    expect(cli('retention', 'release-hold', typoId, '--reason', 'typo', '--by', 'legal').code).toBe(0);
    const none = cli('retention', 'hold', '--reason', 'r', '--by', 'legal');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('on the command line --table, --actor, --from, --to, --correlation-id');
    const set = cli(
      'retention',
      'hold',
      '--table',
      'posts',
      '--key',
      '{"id":1}',
      '--reason',
      'case 7',
      '--by',
      'legal',
      '--json',
    );
    expect(set.code).toBe(0);
    const { coversNow, ...hold } = JSON.parse(set.stdout);
    const [{ n: posts1 }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_changes WHERE table_name = 'posts' AND table_pk = '{"id":1}'`,
    );
    expect(coversNow).toBe(posts1);
    expect(hold).toMatchObject({
      filters: { table: 'public.posts', key: '{"id":1}' },
      reason: 'case 7',
      heldBy: 'legal',
    });
    expect(hold.heldAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const listed = cli('retention', 'holds');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      `hold ${hold.id} (in force): table=public.posts key={"id":1}\n  set ${hold.heldAt} by legal: case 7\n`,
    );
    const dry = cli('retention', 'purge', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `kept under legal hold ${hold.id} (case 7, set by legal): 0 changes otherwise eligible`,
    );
    const release = cli('retention', 'release-hold', hold.id, '--reason', 'settled', '--by', 'legal', '--json');
    expect(release.code).toBe(0);
    expect(JSON.parse(release.stdout).released).toMatchObject({ by: 'legal', reason: 'settled' });
    const again = cli('retention', 'release-hold', hold.id, '--reason', 'settled', '--by', 'legal');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`legal hold ${hold.id} was already released at`);
    expect(cli('retention', 'holds').stdout).toBe('no legal holds in force\n');
    expect(JSON.parse(cli('retention', 'holds', '--all', '--json').stdout)).toHaveLength(2);
  });

  it('verify-coverage, health coverage --json and policy show --json report the demo as covered and matching', async () => {
    const verify = cli('verify-coverage');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('OK: every expected table is covered');
    const coverage = JSON.parse(cli('health', 'coverage', '--json').stdout);
    expect(coverage).toMatchObject({
      covered: ['public.post_tags', 'public.posts', 'public.users'],
      expectedUncovered: ['public.migrations'],
      ok: true,
    });
    const policy = JSON.parse(cli('policy', 'show', '--json').stdout);
    expect(policy.tables.map((t: { table: string; label: string }) => [t.table, t.label])).toEqual([
      ['public.post_tags', 'Config matches deployed'],
      ['public.posts', 'Config matches deployed'],
      ['public.users', 'Config matches deployed'],
    ]);
    expect(policy.tables[2].configured).toEqual({
      exclude: ['password_hash'],
      mask: ['email'],
      maskPlaceholder: '[REDACTED]',
      exceptColumns: [],
      storeChangedFrom: false,
    });

    await db.query(`DROP TRIGGER threadline_audit_users ON users`);
    const failing = cli('verify-coverage');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(
      'public.users is in expectedTables but has no Threadline triggers (run `npm run cli -- gen-triggers` and your migrations)',
    );
    await db.query(`CREATE TABLE stray (id int PRIMARY KEY)`);
    const strict = cli('verify-coverage', '--strict', '--json');
    expect(JSON.parse(strict.stdout)).toMatchObject({ strict: true, unclassified: ['public.stray'], ok: false });
  });

  it('export streams every matching change as csv / ndjson / json to stdout or --out, plainly when piped', async () => {
    // (users lost its insert trigger in the test above, on purpose)
    await db.query(`INSERT INTO posts (title, body) VALUES ('Cli, "one"', 'a'), ('Cli2', 'b')`);
    const csv = cli('export', '--format', 'csv', '--table', 'posts');
    expect(csv.code).toBe(0);
    expect(csv.stderr).not.toContain('exported'); // no progress display when piped
    const rows: { data_after: string }[] = parse(csv.stdout, { columns: true });
    expect(rows.map((r) => JSON.parse(r.data_after).title)).toEqual(['Cli2', 'Cli, "one"']);
    const nd = cli('export', '--format', 'ndjson', '--actor', 'anonymous');
    expect(nd.stdout).toBe('');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'export-')), 'out.json');
    const json = cli('export', '--format', 'json', '--out', file);
    expect(json.stderr).toContain(`Exported 2 changes to ${file}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      format_version: 1,
      returned_count: 2,
      truncated: false,
    });
    const bad = cli('export', '--format', 'xml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('format must be one of csv, json, ndjson (got "xml")');
  });

  it('export --out writes a manifest; verify-export checks the file and the chain, and names a tampered file or a rewritten log', async () => {
    await db.query(`INSERT INTO posts (title, body) VALUES ('Manifest', 'm')`);
    const dir = mkdtempSync(path.join(tmpdir(), 'export-manifest-'));
    const file = path.join(dir, 'posts.csv');
    const run = cli('export', '--format', 'csv', '--table', 'posts', '--out', file);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`(manifest: ${file}.manifest.json)`);
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8'));
    const body = readFileSync(file);
    expect(manifest).toMatchObject({
      manifest_version: 1,
      format: 'csv',
      filters: { table: 'public.posts' },
      row_count: 3,
      truncated: false,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      sealed_through: { seq: expect.any(Number), chain_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const ok = cli('verify-export', file, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, chain: 'intact', problems: [] });

    // one byte changed in the file
    const copy = path.join(dir, 'tampered.csv');
    writeFileSync(copy, body.toString('utf8').replace('Manifest', 'Manifast'));
    const tampered = cli('verify-export', copy, '--manifest', `${file}.manifest.json`);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('SHA-256 differs: the manifest says');

    // the audit log rewritten after the export, seals and all
    await db.query(
      `UPDATE audit_seals SET chain_sha256 = sha256('rewritten') WHERE seq = ${manifest.sealed_through.seq}`,
    );
    const rewritten = cli('verify-export', file);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stderr).toContain(`the hash chain no longer passes through seal #${manifest.sealed_through.seq}`);
    expect(cli('verify-integrity').code).toBe(1);
    await db.query(
      `UPDATE audit_seals SET chain_sha256 = decode($1, 'hex') WHERE seq = ${manifest.sealed_through.seq}`,
      [manifest.sealed_through.chain_sha256],
    );
    expect(cli('verify-integrity').code).toBe(0);
    expect(cli('verify-export', file).code).toBe(0);

    // the head printed by one run, kept, and given to the next: only newer seals are checked
    const { head } = JSON.parse(cli('verify-integrity', '--json').stdout);
    const after = cli('verify-integrity', '--after-head', `${head.seq}:${head.chainSha256}`);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`after the kept head #${head.seq}`);
    const wrong = cli('verify-integrity', '--after-head', `${head.seq}:${'0'.repeat(64)}`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('no longer has the chain hash you kept');
    const bad = cli('verify-integrity', '--after-head', 'latest');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('a kept head is <seal number>:<chain sha256, 64 hex digits>');

    const missing = cli('verify-export', path.join(dir, 'nope.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });

  it('continuity explains the T0 cutover and checks that each table exists and is covered', async () => {
    await db.query(
      `CREATE TABLE legacy (id int PRIMARY KEY, v text); INSERT INTO legacy SELECT g, 'old' FROM generate_series(1, 3) g`,
    );
    const uncovered = cli('continuity', '--table', 'legacy', '--table', 'nope');
    expect(uncovered.code).toBe(1);
    expect(uncovered.stdout).toContain('Rows that existed before have no history until they are next written');
    expect(uncovered.stderr).toContain('public.legacy has no Threadline triggers');
    expect(uncovered.stderr).toContain('public.nope is not a table in the database');
    await db.query(cli('gen-triggers', '--tables', 'legacy', '--dry-run').stdout);
    await db.query(`UPDATE legacy SET v = 'new' WHERE id = 2`);
    const covered = cli('continuity', '--table', 'legacy', '--json');
    expect(covered.code).toBe(0);
    expect(JSON.parse(covered.stdout).tables).toEqual([
      {
        table: 'public.legacy',
        exists: true,
        covered: true,
        rows: 3,
        rowsWithHistory: 1,
        firstCapturedAt: expect.any(String),
      },
    ]);
    // keys with history count deleted rows too: said so, never "2 rows, 3 with history"
    await db.query(`CREATE TABLE churn (id int PRIMARY KEY, v int); INSERT INTO churn VALUES (1), (2)`);
    await db.query(cli('gen-triggers', '--tables', 'churn', '--dry-run').stdout);
    await db.query(
      `INSERT INTO churn VALUES (3), (4); DELETE FROM churn WHERE id > 2; UPDATE churn SET v = 1 WHERE id = 1`,
    );
    const churn = cli('continuity', '--table', 'churn');
    expect(churn.stdout).toContain('public.churn: covered; first change captured');
    expect(churn.stdout).toMatch(/2 rows now, 3 keys with captured history \(rows deleted since included\)\n/);
  });

  it('baseline: a dry run by default, then snapshots with --execute; bad flag combinations are refused', async () => {
    const snapshots = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM audit_changes WHERE op = 'snapshot' AND table_name = 'legacy'`,
          )
        )[0].n,
      );
    const dry = cli('baseline', '--table', 'legacy');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'public.legacy: dry run, nothing written. 2 rows without history would get a snapshot, in about 1 batches of 1000',
    );
    expect(await snapshots()).toBe(0);
    const run = cli('baseline', '--table', 'legacy', '--execute', '--batch-size', '1', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).baselines).toEqual([
      expect.objectContaining({ table: 'public.legacy', status: 'complete', written: 2, snapshots: 2, batches: 3 }),
    ]);
    expect(await snapshots()).toBe(2);
    expect(cli('baseline', '--table', 'legacy', '--execute').stdout).toContain(
      'every row already has history; no baseline needed',
    );
    expect(cli('baseline').stderr).toContain('baseline needs --table NAME');
    expect(cli('continuity', '--execute').stderr).toContain("unknown option '--execute'");
    expect(cli('baseline', '--table', 'legacy', '--batch-size', 'ten').stderr).toContain(
      '--batch-size must be a positive integer (got "ten")',
    );
  });

  it('baseline killed mid-run resumes on the next run and ends with exactly one snapshot per row', async () => {
    await db.query(
      `CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, 'v' FROM generate_series(1, 3000) g`,
    );
    await db.query(cli('gen-triggers', '--tables', 'big', '--dry-run').stdout);
    const snapshots = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM audit_changes WHERE op = 'snapshot' AND table_name = 'big'`,
          )
        )[0].n,
      );
    const child = spawn(process.execPath, [CLI, 'baseline', '--table', 'big', '--execute', '--batch-size', '2'], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while ((await snapshots()) < 100) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const partial = await snapshots();
    expect(partial).toBeLessThan(3000);
    const resumed = cli('baseline', '--table', 'big', '--execute', '--json');
    expect(JSON.parse(resumed.stdout).baselines[0]).toMatchObject({
      status: 'complete',
      resumed: true,
      written: 3000 - partial,
      snapshots: 3000,
    });
    const [counts] = await db.query<{ n: string; rows: string }>(
      `SELECT count(*) AS n, count(DISTINCT table_pk) AS rows FROM audit_changes WHERE op = 'snapshot' AND table_name = 'big'`,
    );
    expect(counts).toEqual({ n: '3000', rows: '3000' });
  });

  it('a schema change on the demo: writes go on, a renamed masked column stays masked, and every check turns red until the config follows', async () => {
    // earlier tests left tables uncovered on purpose: deploy the demo's capture again first
    await db.query(JSON.parse(cli('gen-triggers', '--dry-run', '--json').stdout).up);
    expect(cli('verify-coverage').code).toBe(0);
    await db.query(`INSERT INTO posts (title, body) VALUES ('schema change', 'x')`);
    await db.query(`ALTER TABLE posts ADD COLUMN draft_note text`);
    await db.query(`UPDATE posts SET draft_note = 'only the new column'`);
    await db.query(`ALTER TABLE posts DROP COLUMN draft_note`);
    await db.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
    await db.query(
      `INSERT INTO users (name, email_address, password_hash) VALUES ('Renamed', 'renamed@secret.example', 'x')`,
    );
    await db.query(`UPDATE posts SET title = title || '!'`);
    const [{ text }] = await db.query<{ text: string }>(`SELECT string_agg(c::text, ' ') AS text FROM audit_changes c`);
    expect(text).not.toContain('renamed@secret.example');
    const noteChanges = await db.query(
      `SELECT 1 FROM audit_changes WHERE table_name = 'posts' AND changed_fields = '{draft_note}'`,
    );
    expect(noteChanges.length).toBeGreaterThan(0);
    const verify = cli('verify-coverage');
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(
      'public.users: mask: email was renamed to email_address; capture still applies mask',
    );
    // the details sit under the drift heading, not under the next one
    expect(verify.stdout).toMatch(
      /capture drift \(deployed capture differs from the configuration or the table\) \(1\): public\.users\n {2}public\.users: mask: email was renamed to email_address/,
    );
    const policy = cli('policy', 'show');
    expect(policy.code).toBe(1);
    expect(policy.stdout).toContain('public.users  Drift detected');
    // one failure, its fix named: a check that failed, not an error of another kind
    expect(policy.stderr).toContain(
      'policy show failed:\n  - deployed capture does not match the configuration for public.users; run ',
    );
    await db.query(`ALTER TABLE users RENAME COLUMN email_address TO email`);
    expect(cli('verify-coverage').code).toBe(0);
    expect(cli('policy', 'show').code).toBe(0);
  });

  it('export --transaction gives one transaction; CSV formula cells are neutralized unless --csv-formulas verbatim', async () => {
    // one transaction's changes (its correlation id a formula); the guard on by default, off with --csv-formulas verbatim
    await db.query(`BEGIN; SELECT set_config('threadline.correlation_id', '=1+2', true);
      INSERT INTO posts (title, body) VALUES ('F1', 'f'), ('F2', 'f'); COMMIT`);
    const [{ transaction_id: tx }] = parse(cli('export', '--format', 'csv', '--correlation-id', '=1+2').stdout, {
      columns: true,
    }) as { transaction_id: string }[];
    const cells = (...flags: string[]) =>
      (
        parse(cli('export', '--format', 'csv', '--transaction', tx, ...flags).stdout, { columns: true }) as {
          correlation_id: string;
        }[]
      ).map((r) => r.correlation_id);
    expect(cells()).toEqual(["'=1+2", "'=1+2"]);
    expect(cells('--csv-formulas', 'verbatim')).toEqual(['=1+2', '=1+2']);
    expect(cli('export', '--format', 'csv', '--csv-formulas', 'off').stderr).toContain(
      'csvFormulas must be one of neutralize, verbatim (got "off")',
    );
  });

  it('partitions status and maintain, as a user runs them: red and exit 1 while partitions run short, maintain puts them back', async () => {
    const plain = cli('partitions', 'status');
    expect(plain).toMatchObject({ code: 0 });
    expect(plain.stdout).toContain('The audit tables are not partitioned (capture.partitioning is off).');
    const parted = await createTestDatabase();
    try {
      await parted.query(auditSchemaSql('public', { partitioning: { interval: 'week', ahead: 4 } }).up);
      // the demo's configuration names its tables; boot checks that they exist
      await parted.query(
        'CREATE TABLE users (id int); CREATE TABLE posts (id int); CREATE TABLE post_tags (id int); CREATE TABLE migrations (id int)',
      );
      for (const { name } of await parted.query<{ name: string }>(
        `SELECT partition_name AS name FROM threadline_partitions() WHERE NOT is_default AND from_at > now() + interval '7 days'`,
      ))
        await parted.query(`DROP TABLE ${name}`);
      const on = (...args: string[]) => {
        const run = spawnSync(process.execPath, [CLI, ...args], {
          env: { ...process.env, DATABASE_URL: parted.url },
          encoding: 'utf8',
        });
        return { code: run.status, stdout: run.stdout, stderr: run.stderr };
      };
      const short = on('partitions', 'status');
      expect(short.code).toBe(1);
      expect(short.stdout).toMatch(/^Partitioned by week, 4 interval\(s\) kept ahead; database time /);
      expect(short.stdout).toMatch(
        /problem: audit_changes has [01] partition\(s\) after the current one \(at least 2 needed; partitions end at .*\); run `[^`]* partitions maintain`/,
      );
      const maintained = on('partitions', 'maintain', '--json');
      expect(maintained.code).toBe(0);
      const result = JSON.parse(maintained.stdout);
      expect(result.created).toBeGreaterThanOrEqual(4);
      expect(result.status).toMatchObject({ partitioned: true, interval: 'week', ahead: 4, problems: [] });
      expect(result.status.tables.map((t: { intervalsAhead: number }) => t.intervalsAhead)).toEqual([4, 4]);
      expect(on('partitions', 'status')).toMatchObject({ code: 0, stdout: expect.stringMatching(/\nok\n$/) });
      expect(on('partitions', 'status', 'now').stderr).toContain(
        'unexpected argument "now"; usage: partitions status [--json]',
      );
      expect(on('partitions').stderr).toContain('usage: partitions status [--json]');
    } finally {
      await parted.drop();
    }
  });
});

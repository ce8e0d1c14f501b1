import { spawn, spawnSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';

const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');

/**
 * `partitions upgrade` as a user runs it, on the demo's unpartitioned log while the demo's tables are written:
 * killed mid-copy, run again, it goes on and finishes; every write has its audit row and verification passes.
 */
describeOnOneMajor('partitions upgrade (spawned like `npm run cli -- ...`)', () => {
  let db: TestDatabase;
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  /** Tables of the audited schema in no bucket of the coverage policy (an audit table leaking in would be one). */
  const unclassified = () => JSON.parse(cli('verify-coverage', '--json').stdout).unclassified;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it first (tsc -b apps/demo-api)`);
    db = await createTestDatabase();
    expect(cli('migrate').code).toBe(0);
  });
  afterAll(() => db.drop());

  it('killed mid-copy under a steady writer, goes on when run again; no write lost, verification passes', async () => {
    await db.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', false);
      INSERT INTO users (name, email, password_hash) SELECT 'n' || g, 'u' || g || '@example.com', 'x' FROM generate_series(1, 1500) g`);
    for (let i = 0; i < 30; i++)
      await db.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', false);
        UPDATE users SET name = name || '.' WHERE id % 30 = ${i}`);
    expect(cli('verify-integrity').code).toBe(0); // seals what is there
    // usage errors first: nothing starts
    expect(cli('partitions', 'upgrade').stderr).toContain(
      "partitions upgrade needs the interval to partition by: set capture.partitioning (for example { interval: 'month' })",
    );
    expect(cli('partitions', 'upgrade', '--interval', 'year').stderr).toContain(
      '--interval must be day, week or month (got "year")',
    );
    expect(cli('partitions', 'upgrade', '--abort', '--interval', 'week').stderr).toContain(
      '--abort takes no other flag but --json',
    );
    // a refusal of the database comes with its hint, not a stack trace
    const started = cli('partitions', 'upgrade', '--interval', 'week', '--max-batches', '1');
    expect(started.stdout).toContain('Stopped after --max-batches');
    const other = cli('partitions', 'upgrade', '--interval', 'month');
    expect(other.stderr).toContain(
      'partitions upgrade: a partitioning upgrade by week (3 ahead) is under way, not by month (3 ahead). Run it again with interval week, or abort it',
    );
    expect(other.stderr).not.toContain('    at ');
    expect(JSON.parse(cli('partitions', 'upgrade', '--abort', '--json').stdout)).toMatchObject({ outcome: 'aborted' });
    // a writer in steady transactions, each a user and its audit rows
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    let writes = 0;
    let writing = true;
    const failures: string[] = [];
    const writing$ = (async () => {
      while (writing) {
        try {
          await writer.query(`BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"8"}', true);
            INSERT INTO users (name, email, password_hash) VALUES ('w${writes}', 'w${writes}@example.com', 'x');
            UPDATE users SET name = name || '+' WHERE id = ${(writes % 1500) + 1}; COMMIT`);
          writes++;
        } catch (error) {
          failures.push((error as Error).message);
          await writer.query('ROLLBACK').catch(() => undefined);
        }
      }
    })();
    try {
      const copied = async () => {
        const [{ started }] = await db.query<{ started: boolean }>(
          `SELECT to_regclass('audit_partition_upgrade') IS NOT NULL AS started`,
        );
        if (!started) return 0;
        return Number((await db.query<{ n: string }>(`SELECT changes_copied AS n FROM audit_partition_upgrade`))[0].n);
      };
      const child = spawn(
        process.execPath,
        [CLI, 'partitions', 'upgrade', '--interval', 'week', '--batch-size', '20'],
        {
          env: { ...process.env, DATABASE_URL: db.url },
          stdio: 'ignore',
        },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        while ((await copied()) < 200) await new Promise((r) => setTimeout(r, 10));
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const partial = await copied();
      const [{ changes }] = await db.query<{ changes: string }>(`SELECT count(*) AS changes FROM audit_changes`);
      expect(partial).toBeLessThan(Number(changes));
      expect(cli('partitions', 'status').stdout).toContain(
        'The audit tables are not partitioned yet: a partitioning upgrade is under way (run',
      );
      // the copies and the progress row sit in the audited schema: not counted as the app's tables
      expect(unclassified()).toEqual([]);
      const resumed = cli('partitions', 'upgrade', '--interval', 'week', '--batch-size', '500', '--json');
      expect(resumed.stderr).toBe('');
      const result = JSON.parse(resumed.stdout);
      expect(result).toMatchObject({ outcome: 'finished', interval: 'week', ahead: 3, resumed: true });
      expect(result.dropWhenVerified).toBe(
        'DROP TABLE "public"."audit_changes_unpartitioned", "public"."audit_transactions_unpartitioned";',
      );
      const after = writes;
      while (writes < after + 20) await new Promise((r) => setTimeout(r, 10));
    } finally {
      writing = false;
      await writing$;
      await writer.end();
    }
    expect(failures).toEqual([]);
    // every write has its change, once, in a range partition; the old tables kept beside
    const [counts] = await db.query<{ inserted: string; users: string; in_default: string; old: string }>(
      `SELECT (SELECT count(*) FROM audit_changes WHERE table_name = 'users' AND op = 'insert') AS inserted,
              (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM audit_changes_default) AS in_default,
              (SELECT count(*) FROM audit_changes_unpartitioned) AS old`,
    );
    expect(counts.inserted).toBe(counts.users);
    expect(counts.in_default).toBe('0');
    expect(Number(counts.old)).toBeGreaterThan(1500 + 1500);
    const status = cli('partitions', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ partitioned: true, interval: 'week', problems: [] });
    expect(unclassified()).toEqual([]); // nor the old tables kept beside
    const verified = cli('verify-integrity', '--json');
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    // the transactions sealed before the upgrade are checked against those seals: the copy is what was sealed
    const report = JSON.parse(verified.stdout);
    expect(report).toMatchObject({ ok: true, problemCount: 0 });
    expect(report.checked - report.sealedNow).toBeGreaterThanOrEqual(31);
    expect(cli('partitions', 'upgrade', '--interval', 'week').stdout).toContain(
      'The audit tables are partitioned already: nothing to do.',
    );
  });
});

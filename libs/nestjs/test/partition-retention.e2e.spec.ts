import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { auditSchemaSql } from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { resolveRetentionPolicy } from '@threadline/retention';
import {
  CaptureService,
  IntegrityService,
  LegalHoldService,
  PurgeSummary,
  RetentionService,
  ThreadlineCoverageIndicator,
  ThreadlineModule,
} from '../src';

const partitioning = { interval: 'month', ahead: 3 } as const;

/** Retention by partition (retention.partitions): whole ranges dropped or detached, the straddling one by rows. */
describe('retention on partitioned storage drops whole ranges (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let client: Client;
  /** The start of the month `k` months before this one (ISO, UTC). */
  const month = async (k: number) =>
    (
      await db.query<{ at: string }>(
        `SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => $1::int), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
        [k],
      )
    )[0].at;
  const ranges = async () =>
    (
      await db.query<{ name: string }>(
        `SELECT partition_name AS name FROM threadline_partitions() WHERE table_name = 'audit_changes' AND NOT is_default ORDER BY from_at`,
      )
    ).map((r) => r.name);

  /** One captured transaction writing item `id`, then moved (its start, its changes' copy and capture time) to `at`. */
  async function writeAt(id: number, at: string, capturedAt = at, action?: string): Promise<void> {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${id}"}', true)`);
    await client.query(`INSERT INTO items VALUES (${id}, 0)`);
    await client.query(`UPDATE items SET v = 1 WHERE id = ${id}`);
    if (action)
      await client.query(
        `SELECT threadline_record_action($1, '{"type":"user","id":"u${id}"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        [action],
      );
    await client.query('COMMIT');
    await db.query(
      `UPDATE audit_transactions SET occurred_at = $2::timestamptz WHERE id IN (SELECT transaction_id FROM audit_changes WHERE table_pk->>'id' = $1)`,
      [String(id), at],
    );
    await db.query(
      `UPDATE audit_changes SET transaction_occurred_at = $2::timestamptz, captured_at = $3::timestamptz WHERE table_pk->>'id' = $1`,
      [String(id), at, capturedAt],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public', { partitioning }).up);
    // seven months back to three ahead, without a gap
    await db.query(`SELECT threadline_partitions_maintain_at(now() - interval '7 months')`);
    await db.query(`SELECT threadline_partitions_maintain_at(now() - interval '3 months')`);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v int)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({
          capture: { tables: { items: {} }, partitioning: { ...partitioning, schedule: false } },
          retention: { keepDays: 30, enabled: true },
          health: {},
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['items'] })).up);
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await app.close();
    await db.drop();
  });

  it('drops each range wholly before the cutoff, keeps a held one and one still written to, purges the straddling one by rows, and verification passes', async () => {
    // items 1-6 one a month, 6 to 1 months back (a day into the month); 7 in month -2 after the cutoff;
    // 8 in month -3 with a change captured now (a transaction that began then and wrote lately); 9 in month -4, held
    for (let k = 6; k >= 1; k--) await writeAt(k, new Date(Date.parse(await month(k)) + 12 * 3_600_000).toISOString());
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    await writeAt(7, new Date(Date.parse(await month(2)) + 20 * 86_400_000).toISOString());
    await writeAt(8, await month(3), new Date().toISOString());
    const nine = new Date(Date.parse(await month(4)) + 3_600_000).toISOString();
    await writeAt(9, nine, nine, 'item.filed');
    await db.query(`SELECT threadline_seal(1000)`);
    const integrity = app.get(IntegrityService);
    expect(await integrity.verify()).toMatchObject({ ok: true, checked: 9 });
    const hold = await app.get(LegalHoldService).hold({
      filters: { table: 'items', key: { id: 9 } },
      reason: 'litigation 7',
      heldBy: 'legal@example.com',
    });
    const before = await ranges();

    const retention = app.get(RetentionService);
    const dry = (await retention.purge({ dryRun: true, cutoff })) as PurgeSummary;
    const run = (await retention.purge({ cutoff })) as PurgeSummary;
    // months -7 (empty), -6 and -5 go whole; -4 holds item 9, -3 item 8's late change, -2 straddles the cutoff
    expect(run.partitions.map((p) => [p.from, p.changes, p.transactions, p.sealedTransactions, p.action])).toEqual([
      [await month(7), 0, 0, 0, 'dropped'],
      [await month(6), 2, 1, 1, 'dropped'],
      [await month(5), 2, 1, 1, 'dropped'],
    ]);
    // by rows: item 4 (month -4, not held), item 3 (month -3), item 2 (month -2, before the cutoff)
    expect(run).toMatchObject({ deletedChanges: 2 + 2 + 2 + 2 + 2, deletedTransactions: 5, batchesRun: 4 });
    expect(run.holds.map((h) => h.id)).toEqual([hold.id]);
    const summary = (r: PurgeSummary) => [r.deletedChanges, r.deletedTransactions, r.batchesRun, r.partitions];
    expect(summary(dry)).toEqual(summary(run));
    expect(dry.holds).toMatchObject([{ id: hold.id, keptChanges: 2 }]);
    expect(await ranges()).toEqual(before.slice(3));
    const left = await db.query<{ id: string; n: number }>(
      `SELECT table_pk->>'id' AS id, count(*)::int AS n FROM audit_changes GROUP BY 1 ORDER BY (table_pk->>'id')::int`,
    );
    expect(left).toEqual([
      { id: '1', n: 2 },
      { id: '7', n: 2 },
      { id: '8', n: 2 },
      { id: '9', n: 2 },
    ]);
    // the dropped transactions are in the sealed ledger, whole: what remains verifies, a change to it does not
    expect(await integrity.verify()).toMatchObject({ ok: true, problemCount: 0 });
    await db.query(
      `UPDATE audit_changes SET data_after = '{"id":9,"v":5}' WHERE table_pk->>'id' = '9' AND op = 'update'`,
    );
    expect((await integrity.verify()).ok).toBe(false);
    await db.query(
      `UPDATE audit_changes SET data_after = '{"id":9,"v":1}' WHERE table_pk->>'id' = '9' AND op = 'update'`,
    );
    expect(await integrity.verify()).toMatchObject({ ok: true });
    // the SQL refuses on its own a range with a change captured after the cutoff, changing nothing
    await expect(
      db.query(`SELECT * FROM threadline_purge_partition($1, $2, false)`, [await month(3), cutoff]),
    ).rejects.toThrow(/holds changes captured at or after the cutoff/);
    await expect(
      db.query(`SELECT * FROM threadline_purge_partition($1, $2, false)`, [await month(1), cutoff]),
    ).rejects.toThrow(/do not lie wholly before the cutoff/);
  });

  it("detaches instead with partitions: 'detach', the tables kept outside the log with their rows", async () => {
    const dataSource = app.get(DataSource);
    const policy = resolveRetentionPolicy({ keepDays: 30, enabled: true, partitions: 'detach' })!;
    const release = await app.get(LegalHoldService).list();
    for (const h of release)
      await app.get(LegalHoldService).release(h.id, { reason: 'case closed', releasedBy: 'legal@example.com' });
    const detaching = new RetentionService(dataSource, policy, AuditTables.DEFAULT);
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    const run = (await detaching.purge({ cutoff })) as PurgeSummary;
    expect(run.partitions.map((p) => [p.from, p.changes, p.action])).toEqual([[await month(4), 2, 'detached']]);
    const [{ name }] = [{ name: run.partitions[0].changesPartition }];
    expect(await db.query(`SELECT count(*)::int AS n FROM ${name}`)).toEqual([{ n: 2 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE table_pk->>'id' = '9'`)).toEqual([
      { n: 0 },
    ]);
    // the archived transaction row is as it was sealed (its action id kept), its action kept beside it and gone
    // from the log
    const archived = run.partitions[0].transactionsPartition;
    const [row] = await db.query<{ action_id: string | null }>(`SELECT action_id FROM ${archived}`);
    expect(row.action_id).not.toBeNull();
    expect(await db.query(`SELECT id, name FROM ${archived}_actions`)).toEqual([
      { id: row.action_id, name: 'item.filed' },
    ]);
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_actions WHERE name = 'item.filed'`)).toEqual([
      { n: 0 },
    ]);
    // the detached tables are not the app's: coverage does not count them (health stays up)
    const health = (await app.get(ThreadlineCoverageIndicator).isHealthy()) as unknown as {
      threadline_coverage: { status: string };
    };
    expect(health.threadline_coverage.status).toBe('up');
    expect(await app.get(IntegrityService).verify()).toMatchObject({ ok: true, problemCount: 0 });
    // an action forged afterwards for the purged transaction is reported: a purge takes a transaction's actions
    await db.query(
      `INSERT INTO audit_actions (name, actor_ref, status, transaction_id, inserted_at)
       SELECT 'forged.approval', '{"type":"admin","id":"ceo"}', 'ok', transaction_id, now() FROM ${archived}_actions`,
    );
    const forged = await app.get(IntegrityService).verify();
    expect(forged.problems.map((p) => p.message)).toContainEqual(
      expect.stringMatching(/^action [0-9a-f-]+ belongs to no audit transaction/),
    );
    await db.query(`DELETE FROM audit_actions WHERE name = 'forged.approval'`);
  });

  it('waits out a reader of the audit tables while writers go on, and gives up naming the pid of a transaction that keeps the range, changing nothing', async () => {
    // month -5 written again, after its range was dropped: the row lands in the default partition, and
    // maintenance makes the range again and moves it there
    await writeAt(11, new Date(Date.parse(await month(5)) + 3_600_000).toISOString());
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes_default`)).toEqual([{ n: 2 }]);
    await db.query(`SELECT threadline_partitions_maintain_at(now())`);
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes_default`)).toEqual([{ n: 0 }]);
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    const retention = app.get(RetentionService);
    // a transaction that read month -5's changes and stays open: the purge cannot drop them under it
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT count(*) FROM audit_changes WHERE transaction_occurred_at >= $1`, [await month(5)]);
      const [{ pid }] = (await holder.query(`SELECT pg_backend_pid() AS pid`)).rows;
      const before = await ranges();
      const ledger = await db.query(`SELECT count(*)::int AS n FROM audit_purged`);
      // the purge leaves the range whole, rows included, for the next run, and says who held it (short waits:
      // each is under half of deadlock_timeout, which this connection sets low)
      const impatient = new DataSource({
        type: 'postgres',
        url: db.url,
        extra: { options: '-c deadlock_timeout=20ms' },
      });
      await impatient.initialize();
      try {
        const policy = resolveRetentionPolicy({ keepDays: 30, enabled: true })!;
        const left = (await new RetentionService(impatient, policy).purge({ cutoff })) as PurgeSummary;
        // and the ranges after it untried: the same holder holds their parents
        expect(left.busyPartitions[0]).toEqual({
          changesPartition: expect.stringMatching(/^audit_changes_p/),
          from: await month(5),
          to: await month(4),
          reason: expect.stringMatching(new RegExp(`could not lock .* in 10 tries \\(held by pid ${pid}\\)`)),
        });
        for (const untried of left.busyPartitions.slice(1)) expect(untried.reason).toMatch(/^not tried: the locks of/);
        expect(left.partitions.map((p) => p.from)).not.toContain(await month(5));
        expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE table_pk->>'id' = '11'`)).toEqual([
          { n: 2 },
        ]);
      } finally {
        await impatient.destroy();
      }
      expect(await ranges()).toEqual(before);
      expect(await db.query(`SELECT count(*)::int AS n FROM audit_purged`)).toEqual(ledger);
      await holder.query('ROLLBACK');

      // the same reader for half a second, and a writer all along: the purge waits for the one, holds up neither
      await holder.query('BEGIN');
      await holder.query(`SELECT count(*) FROM audit_changes`);
      const released = new Promise((resolve) => setTimeout(resolve, 500)).then(() => holder.query('COMMIT'));
      const writer = new Client({ connectionString: db.url });
      await writer.connect();
      let writing = true;
      let written = 0;
      const writes = (async () => {
        while (writing) {
          await writer.query(`INSERT INTO items VALUES (${1000 + written}, 0)`);
          written++;
        }
      })();
      const run = (await retention.purge({ cutoff })) as PurgeSummary;
      await released;
      writing = false;
      await writes;
      await writer.end();
      expect(run.partitions.map((p) => [p.from, p.changes])).toEqual([[await month(5), 1 + 1]]);
      expect(written).toBeGreaterThan(0);
      expect(
        await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE (table_pk->>'id')::int >= 1000`),
      ).toEqual([{ n: written }]);
      expect(await app.get(IntegrityService).verify()).toMatchObject({ ok: true, problemCount: 0 });
    } finally {
      await holder.end();
    }
  });

  it("is the owner's: a role without EXECUTE is refused", async () => {
    await db.query(`CREATE ROLE partition_prober`);
    await db.query(`GRANT USAGE ON SCHEMA public TO partition_prober`);
    const probe = new Client({ connectionString: db.url });
    await probe.connect();
    try {
      await probe.query('SET ROLE partition_prober');
      await expect(
        probe.query(`SELECT * FROM threadline_purge_partition(now() - interval '9 months', now(), false)`),
      ).rejects.toThrow(/permission denied for function threadline_purge_partition/);
    } finally {
      await probe.end();
    }
  });

  it('reads its cutoff the same under a DateStyle and TimeZone that write a zone abbreviation read back as another offset', async () => {
    // 'IST' is written for Asia/Kolkata (+05:30) and read back as Israel's (+02): a cutoff taken through the
    // session's text moved 3.5 h later, past the end of a range that holds a change captured an hour after it
    const cutoff = new Date(Date.parse(await month(1)) - 2 * 3_600_000).toISOString();
    await writeAt(
      21,
      new Date(Date.parse(await month(2)) + 86_400_000).toISOString(),
      new Date(Date.parse(cutoff) + 3_600_000).toISOString(),
    );
    const hostile = new DataSource({
      type: 'postgres',
      url: db.url,
      extra: { options: '-c DateStyle=SQL,DMY -c TimeZone=Asia/Kolkata' },
    });
    await hostile.initialize();
    try {
      expect(await hostile.query(`SHOW "DateStyle"`)).toEqual([{ DateStyle: 'SQL, DMY' }]);
      const policy = resolveRetentionPolicy({ keepDays: 30, enabled: true })!;
      for (const partitions of [undefined, 'rows'] as const) {
        const run = (await new RetentionService(hostile, { ...policy, partitions: partitions ?? 'drop' }).purge({
          cutoff,
        })) as PurgeSummary;
        expect(run.cutoff).toBe(cutoff.replace(/\.(\d{3})Z$/, '.$1000Z'));
        expect(run.partitions.map((p) => p.from)).not.toContain(await month(2));
        expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE table_pk->>'id' = '21'`)).toEqual([
          { n: 2 },
        ]);
      }
    } finally {
      await hostile.destroy();
    }
    await expect(app.get(RetentionService).purge({ cutoff: cutoff.slice(0, 19) })).rejects.toThrow(
      /names no time zone, so the session's TimeZone would decide which instant it is; add one, such as .*Z/,
    );
  });

  it("never deadlocks or stalls a writer that records an action while a range is dropped, and takes the range's actions with it", async () => {
    // a range to drop again (month -6), with a transaction that wrote and recorded an action
    await client.query('BEGIN');
    await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u41"}', true)`);
    await client.query(`INSERT INTO items VALUES (41, 0)`);
    await client.query(
      `SELECT threadline_record_action('order.placed', '{"type":"user","id":"u41"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    await client.query('COMMIT');
    const at = new Date(Date.parse(await month(6)) + 3_600_000).toISOString();
    await db.query(
      `UPDATE audit_transactions SET occurred_at = $1 WHERE id IN (SELECT transaction_id FROM audit_changes WHERE table_pk->>'id' = '41')`,
      [at],
    );
    await db.query(
      `UPDATE audit_changes SET transaction_occurred_at = $1, captured_at = $1 WHERE table_pk->>'id' = '41'`,
      [at],
    );
    await db.query(`SELECT threadline_partitions_maintain_at(now())`);
    await db.query(`SELECT threadline_seal(1000)`);
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    // a writer mid-transaction: an audited write, then (while the purge waits for the tables) an action, which
    // updates its transaction row through every transaction partition
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"w"}', true)`);
      await writer.query(`INSERT INTO items VALUES (42, 0)`);
      const purging = app.get(RetentionService).purge({ cutoff }) as Promise<PurgeSummary>;
      await new Promise((resolve) => setTimeout(resolve, 400));
      const began = Date.now();
      await writer.query(
        `SELECT threadline_record_action('order.placed', '{"type":"user","id":"w"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      );
      await writer.query('COMMIT');
      expect(Date.now() - began).toBeLessThan(1000);
      const run = await purging;
      expect(run.partitions.map((p) => [p.from, p.changes, p.transactions])).toContainEqual([await month(6), 1, 1]);
      expect(run.busyPartitions).toEqual([]);
    } finally {
      await writer.end();
    }
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE table_pk->>'id' = '42'`)).toEqual([
      { n: 1 },
    ]);
    // no action outlives its transaction, and what remains verifies
    expect(
      await db.query(
        `SELECT count(*)::int AS n FROM audit_actions a WHERE NOT EXISTS (SELECT 1 FROM audit_transactions t WHERE t.id = a.transaction_id)`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(await app.get(IntegrityService).verify()).toMatchObject({ ok: true, problemCount: 0 });
  });

  it('keeps a range holding a transaction with only an action while a hold names no table, key or op', async () => {
    // an action alone, by u51, in month -6 again
    await client.query('BEGIN');
    await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u51"}', true)`);
    await client.query(
      `SELECT threadline_record_action('report.exported', '{"type":"user","id":"u51"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    await client.query('COMMIT');
    const at = new Date(Date.parse(await month(6)) + 3_600_000).toISOString();
    await db.query(
      `UPDATE audit_transactions SET occurred_at = $1 WHERE id = (SELECT transaction_id FROM audit_actions WHERE name = 'report.exported')`,
      [at],
    );
    await db.query(`SELECT threadline_partitions_maintain_at(now())`);
    const holds = app.get(LegalHoldService);
    const hold = await holds.hold({
      filters: { actorRef: 'user:u51' },
      reason: 'audit 9',
      heldBy: 'legal@example.com',
    });
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    const retention = app.get(RetentionService);
    const dry = (await retention.purge({ dryRun: true, cutoff })) as PurgeSummary;
    const run = (await retention.purge({ cutoff })) as PurgeSummary;
    for (const r of [dry, run]) expect(r.partitions.map((p) => p.from)).not.toContain(await month(6));
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_actions WHERE name = 'report.exported'`)).toEqual([
      { n: 1 },
    ]);
    await holds.release(hold.id, { reason: 'closed', releasedBy: 'legal@example.com' });
    const after = (await retention.purge({ cutoff })) as PurgeSummary;
    expect(after.partitions.map((p) => [p.from, p.changes, p.transactions])).toContainEqual([await month(6), 0, 1]);
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_actions WHERE name = 'report.exported'`)).toEqual([
      { n: 0 },
    ]);
    expect(await app.get(IntegrityService).verify()).toMatchObject({ ok: true, problemCount: 0 });
  });

  it('gets its locks while three writers keep writing in multi-statement transactions, none of them failing', async () => {
    // ranges to drop again: months -7 and -6
    for (const [id, k] of [
      [61, 7],
      [62, 6],
    ])
      await writeAt(id, new Date(Date.parse(await month(k)) + 3_600_000).toISOString());
    await db.query(`SELECT threadline_partitions_maintain_at(now())`);
    const cutoff = new Date(Date.parse(await month(2)) + 10 * 86_400_000).toISOString();
    let writing = true;
    const failures: string[] = [];
    let written = 0;
    const writers = [0, 1, 2].map(async (w) => {
      const writer = new Client({ connectionString: db.url });
      await writer.connect();
      for (let i = 0; writing; i++) {
        const id = 10_000 + w * 10_000 + i;
        try {
          await writer.query(
            `BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"w${w}"}', true);
             INSERT INTO items VALUES (${id}, 0); UPDATE items SET v = 2 WHERE id = ${id}; COMMIT`,
          );
          written++;
        } catch (error) {
          failures.push((error as Error).message);
          await writer.query('ROLLBACK');
        }
      }
      await writer.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const run = (await app.get(RetentionService).purge({ cutoff })) as PurgeSummary;
    writing = false;
    await Promise.all(writers);
    // capture takes audit_changes, then audit_transactions: a purge that locked them the other way round met a
    // writer holding one and waiting for the other at every try, and left the ranges for the next run
    expect(run.busyPartitions).toEqual([]);
    expect(run.partitions.map((p) => p.from)).toEqual(expect.arrayContaining([await month(7), await month(6)]));
    expect(failures).toEqual([]);
    expect(
      await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE (table_pk->>'id')::int >= 10000`),
    ).toEqual([{ n: 2 * written }]);
  });

  it('reports sealed transactions of a partition dropped by hand, without the purge', async () => {
    const [{ changes, transactions }] = await db.query<{ changes: string; transactions: string }>(
      `SELECT c.partition_name AS changes, t.partition_name AS transactions
       FROM threadline_partitions() c JOIN threadline_partitions() t ON t.table_name = 'audit_transactions' AND t.from_at = c.from_at
       WHERE c.table_name = 'audit_changes' AND c.from_at = $1`,
      [await month(3)],
    );
    await db.query(`DROP TABLE ${changes}, ${transactions}`);
    const report = await app.get(IntegrityService).verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(
      /^transaction [0-9a-f-]+ \(seal #\d+\) was deleted after sealing$/m,
    );
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { auditSchemaSql, PartitionsService, PartitionStatus } from '@threadline/capture';
import {
  AuditQueryService,
  BaselineService,
  CaptureService,
  IntegrityService,
  RetentionService,
  ThreadlineCoverageIndicator,
  ThreadlineModule,
} from '../src';

const partitioning = { interval: 'month', ahead: 3 } as const;
/** The Threadline indicator's result, with the partitions part. */
const threadline = (result: unknown) =>
  (result as { threadline_coverage: { status: string; partitions: PartitionStatus } }).threadline_coverage;

/** Every layer on partitioned storage (capture.partitioning): capture, queries, baseline, seals, verification, purge, health. */
describe('partitioned storage through the whole module (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public', { partitioning }).up);
    // the newest partition of each table gone before boot: the boot's maintenance run puts it back
    for (const table of ['audit_changes', 'audit_transactions']) {
      const [{ name }] = await db.query<{ name: string }>(
        `SELECT partition_name AS name FROM threadline_partitions() WHERE table_name = $1 AND NOT is_default ORDER BY from_at DESC LIMIT 1`,
        [table],
      );
      await db.query(`DROP TABLE ${name}`);
    }
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v int); CREATE TABLE legacy (id int PRIMARY KEY, v text)`);
    await db.query(`INSERT INTO legacy SELECT g, 'v' || g FROM generate_series(1, 25) g`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({
          capture: { tables: { items: {}, legacy: {} }, partitioning: { ...partitioning, schedule: false } },
          retention: { keepDays: 30, enabled: true },
          health: {},
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['items', 'legacy'] })).up);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('maintains at boot, captures, answers every query, seals, verifies, catches a moved change, purges by rows and stays healthy', async () => {
    const status = await app.get(PartitionsService).status();
    expect(status).toMatchObject({ partitioned: true, interval: 'month', ahead: 3, problems: [] });
    expect(status.tables.map((t) => [t.table, t.intervalsAhead, t.defaultRows])).toEqual([
      ['audit_transactions', 3, 0],
      ['audit_changes', 3, 0],
    ]);

    const client = new Client({ connectionString: db.url });
    await client.connect();
    for (let i = 1; i <= 6; i++) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${i}"}', true)`);
      await client.query(`INSERT INTO items VALUES (${i}, 0)`);
      await client.query(`UPDATE items SET v = 1 WHERE id = ${i}`);
      await client.query('COMMIT');
    }
    await client.end();
    const baseline = await app.get(BaselineService).baseline('legacy', { execute: true, batchSize: 10 });
    expect(baseline).toMatchObject({ snapshots: 25 });

    const query = app.get(AuditQueryService);
    const history = await query.historyPage('items', { id: 2 });
    expect(history.changes.map((c) => [c.op, c.data_after])).toEqual([
      ['update', { id: 2, v: 1 }],
      ['insert', { id: 2, v: 0 }],
    ]);
    const byActor = await query.timeline({ actorRef: 'user:u3' });
    expect(byActor.changes.map((c) => c.op)).toEqual(['update', 'insert']);
    const byTable = await query.timeline({ table: 'legacy' }, { limit: 100 });
    expect(byTable.changes).toHaveLength(25);
    // every change in a range partition, filed under its transaction's start, the baseline's batches too
    expect(
      await db.query(
        `SELECT count(*)::int AS n FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
         WHERE c.tableoid::regclass::text NOT LIKE 'audit\\_changes\\_p%' OR c.transaction_occurred_at <> t.occurred_at`,
      ),
    ).toEqual([{ n: 0 }]);

    const integrity = app.get(IntegrityService);
    expect(await integrity.verify()).toMatchObject({ ok: true, checked: 7, problemCount: 0 });

    // a change moved to another partition (its copy of the transaction start edited) is reported
    const [moved] = await db.query<{ id: string }>(
      `UPDATE audit_changes SET transaction_occurred_at = transaction_occurred_at - interval '1 day'
       WHERE id = (SELECT min(id) FROM audit_changes) RETURNING id::text AS id`,
    );
    const tampered = await integrity.verify();
    expect(tampered.ok).toBe(false);
    expect(tampered.problems.map((p) => p.message)).toContainEqual(
      expect.stringContaining(`change ${moved.id} is filed under another start time than its transaction`),
    );
    await db.query(
      `UPDATE audit_changes c SET transaction_occurred_at = t.occurred_at FROM audit_transactions t WHERE t.id = c.transaction_id AND c.id = $1`,
      [moved.id],
    );
    expect(await integrity.verify()).toMatchObject({ ok: true });

    // a sealed transaction and its changes copied, ids and all, under a start a month later (another partition,
    // where the primary keys, which include the partition key, let them be): reported, and so is each kind alone
    const [{ id: copied }] = await db.query<{ id: string }>(
      `SELECT transaction_id AS id FROM audit_changes WHERE table_name = 'items' ORDER BY id DESC LIMIT 1`,
    );
    const copyTransaction = `INSERT INTO audit_transactions SELECT id, txid, occurred_at + interval '1 month', source, meta, actor_ref, correlation_id, request_id, action_id FROM audit_transactions WHERE id = '${copied}'`;
    const copyChanges = `INSERT INTO audit_changes SELECT id, transaction_id, table_schema, table_name, op, table_pk, previous_pk, data_after, changed_fields, changed_from, captured_at, transaction_occurred_at + interval '1 month' FROM audit_changes WHERE transaction_id = '${copied}'`;
    const dropCopies = `DELETE FROM audit_changes WHERE transaction_id = '${copied}' AND transaction_occurred_at > now() + interval '20 days';
       DELETE FROM audit_transactions WHERE id = '${copied}' AND occurred_at > now() + interval '20 days'`;
    for (const forged of [[copyTransaction, copyChanges], [copyTransaction], [copyChanges]]) {
      for (const sql of forged) await db.query(sql);
      const report = await integrity.verify();
      expect({ forged, ok: report.ok }).toEqual({ forged, ok: false });
      const messages = report.problems.map((p) => p.message);
      if (forged.includes(copyTransaction))
        expect(messages).toContain(
          `transaction ${copied} is stored 2 times (under different start times, in different partitions): copies were inserted`,
        );
      if (forged.includes(copyChanges))
        expect(messages).toContainEqual(
          expect.stringMatching(/^change \d+ is stored 2 times \(under different start times/),
        );
      await db.query(dropCopies);
    }
    expect(await integrity.verify()).toMatchObject({ ok: true });

    // retention by rows works on partitioned storage as on one table
    // two transactions 40 days old: their start, each change's copy of it and its capture time all moved back
    // together (as they would have been written then; the purge skips partitions that begin after its cutoff)
    await db.query(
      `UPDATE audit_transactions SET occurred_at = occurred_at - interval '40 days' WHERE id IN (
         SELECT transaction_id FROM audit_changes WHERE table_name = 'items' AND table_pk->>'id' IN ('1', '2'))`,
    );
    await db.query(
      `UPDATE audit_changes SET captured_at = now() - interval '40 days', transaction_occurred_at = transaction_occurred_at - interval '40 days'
       WHERE table_name = 'items' AND table_pk->>'id' IN ('1', '2')`,
    );
    expect(await app.get(RetentionService).purge()).toMatchObject({
      status: 'completed',
      deletedChanges: 4,
      deletedTransactions: 2,
    });
    expect(await integrity.verify()).toMatchObject({ ok: true, purged: 2, problemCount: 0 });

    const health = await app.get(ThreadlineCoverageIndicator).isHealthy();
    expect(threadline(health).status).toBe('up');
    expect(threadline(health).partitions).toMatchObject({ partitioned: true, problems: [] });
  });

  it('turns health red while partitions run short or a default partition holds rows, and green after maintenance', async () => {
    const indicator = app.get(ThreadlineCoverageIndicator);
    const future = await db.query<{ name: string }>(
      `SELECT partition_name AS name FROM threadline_partitions() WHERE table_name = 'audit_changes' AND from_at > now() ORDER BY from_at DESC LIMIT 2`,
    );
    for (const { name } of future) await db.query(`DROP TABLE ${name}`);
    const short = await indicator.isHealthy();
    expect(threadline(short).status).toBe('down');
    expect(threadline(short).partitions.problems).toEqual([
      expect.stringMatching(
        /^audit_changes has 1 partition\(s\) after the current one \(at least 2 needed; .*; run `[^`]* partitions maintain`/,
      ),
    ]);
    await app.get(PartitionsService).maintain();
    expect(threadline(await indicator.isHealthy()).status).toBe('up');

    await db.query(
      `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, now() + interval '5 years') RETURNING id, occurred_at)
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
       SELECT t.id, 'public', 'items', 'insert', '{"id": 99}', t.occurred_at FROM t`,
    );
    const stray = await indicator.isHealthy();
    expect(threadline(stray).status).toBe('down');
    expect(threadline(stray).partitions.problems).toEqual([
      expect.stringContaining('audit_transactions_default holds 1 row(s) no range partition took'),
      expect.stringContaining('audit_changes_default holds 1 row(s) no range partition took'),
    ]);
    expect((await app.get(PartitionsService).maintain()).created).toBe(2);
    expect(threadline(await indicator.isHealthy()).partitions.problems).toEqual([]);
  });
});

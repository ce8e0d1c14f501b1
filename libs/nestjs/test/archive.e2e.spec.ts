import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { describeOnOneMajor } from '@threadline/testing';
import { ServerProcess, startServerProcess } from '@threadline/testing/server-process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { auditSchemaSql, sealCommitted } from '@threadline/capture';
import {
  ARCHIVE_PUBLICATION_TABLES,
  AuditQueryService,
  CaptureService,
  IntegrityService,
  PurgeSummary,
  RetentionService,
  ThreadlineModule,
} from '../src';

/**
 * The archive (docs/scale.md, "Archive on a second PostgreSQL"): two real servers, the audit tables published from
 * the app's database by logical replication without deletes, so a purge there does not reach the archive; the
 * library pointed at the archive answers the same queries, and verifies the chain without sealing.
 */
describeOnOneMajor('an archive on a second PostgreSQL (two real servers, logical replication)', () => {
  let source: ServerProcess;
  let archive: ServerProcess;
  let primary: Client;
  let copy: Client;
  let app: INestApplication;
  let reader: INestApplication;
  let subscribe: () => Promise<void>;
  const partitioning = { interval: 'month', ahead: 3 } as const;

  const boot = async (url: string, capture: object) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({ capture, retention: { keepDays: 5, enabled: true }, health: {} }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    return nest;
  };
  /** Until the archive has applied everything the source has written. */
  const caughtUp = async () => {
    const [{ lsn }] = (await primary.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows;
    for (let i = 0; i < 300; i++) {
      const [state] = (
        await copy.query(
          `SELECT (SELECT bool_and(srsubstate = 'r') FROM pg_subscription_rel) AS ready,
                  (SELECT latest_end_lsn >= $1::pg_lsn FROM pg_stat_subscription WHERE relid IS NULL) AS applied`,
          [lsn],
        )
      ).rows;
      if (state.ready && state.applied) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the archive did not catch up');
  };

  beforeAll(async () => {
    source = await startServerProcess({ wal_level: 'logical' });
    archive = await startServerProcess();
    for (const server of [source, archive]) {
      const admin = new Client({ connectionString: server.url });
      await admin.connect();
      await admin.query('CREATE DATABASE app');
      await admin.end();
    }
    const at = (server: ServerProcess) => server.url.replace(/\/postgres$/, '/app');
    primary = new Client({ connectionString: at(source) });
    copy = new Client({ connectionString: at(archive) });
    await primary.connect();
    await copy.connect();
    // the same install on both, the source partitioned by month with partitions from four months back (the archive
    // need not be: the source publishes through the partitioned tables); the archive holds the app's table
    // definitions too (the queries read each key)
    await primary.query(auditSchemaSql('public', { partitioning }).up);
    await primary.query(`SELECT threadline_partitions_maintain_at(now() - interval '4 months')`);
    await copy.query(auditSchemaSql('public').up);
    for (const db of [primary, copy]) await db.query(`CREATE TABLE items (id int PRIMARY KEY, v text)`);
    app = await boot(at(source), { tables: { items: {} }, partitioning: { ...partitioning, schedule: false } });
    await primary.query((await app.get(CaptureService).triggerSql({ tables: ['items'] })).up);
    // the library on the archive reads only: a role that may SELECT and nothing else
    await copy.query(
      `CREATE ROLE auditor LOGIN PASSWORD 'auditor'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor`,
    );
    reader = await boot(at(archive).replace('postgres:postgres@', 'auditor:auditor@'), {});
    subscribe = async () => {
      await primary.query(`CREATE PUBLICATION threadline_archive FOR TABLE ${ARCHIVE_PUBLICATION_TABLES.join(', ')}
        WITH (publish = 'insert, update', publish_via_partition_root = true)`);
      const { port } = new URL(source.url);
      await copy.query(`CREATE SUBSCRIPTION threadline_archive
        CONNECTION 'host=127.0.0.1 port=${port} dbname=app user=postgres password=postgres' PUBLICATION threadline_archive`);
      // its tables' first copy is a snapshot: until it is done, a purge on the source would reach the archive too
      await caughtUp();
    };
  });
  afterAll(async () => {
    await copy?.query('DROP SUBSCRIPTION IF EXISTS threadline_archive').catch(() => undefined);
    await reader?.close();
    await app?.close();
    await primary?.end();
    await copy?.end();
    await archive?.stop();
    await source?.stop();
  });

  /** A captured transaction on the source writing item `id` as user u`id`, optionally with an action. */
  const write = async (id: number, action?: string) => {
    await primary.query('BEGIN');
    await primary.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${id}"}', true)`);
    await primary.query(`INSERT INTO items VALUES (${id}, 'a')`);
    await primary.query(`UPDATE items SET v = 'b' WHERE id = ${id}`);
    if (action)
      await primary.query(
        `SELECT threadline_record_action($1, '{"type":"user","id":"u${id}"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        [action],
      );
    await primary.query('COMMIT');
  };

  it('keeps what the source purges, answers the same queries, verifies without sealing, and catches an edit', async () => {
    // items 1 and 2 three months old, a range retention drops whole (1 with an action: its foreign key must not
    // clear the archive's action_id); item 3's transaction began ten days ago and wrote again now, so its purge is
    // by rows and partial (the old change goes, the new one stays); item 4 today. Moved before the archive
    // subscribes: a partition key's update is a delete and an insert, which an archive must not be sent.
    await write(1, 'item.filed');
    await write(2);
    await write(3);
    const moved = (
      ids: string,
      ago: string,
    ) => `WITH t AS (UPDATE audit_transactions SET occurred_at = now() - interval '${ago}'
      WHERE id IN (SELECT transaction_id FROM audit_changes WHERE table_pk->>'id' IN (${ids})) RETURNING id, occurred_at)
      UPDATE audit_changes AS c SET transaction_occurred_at = t.occurred_at,
        captured_at = CASE WHEN c.table_pk->>'id' = '3' AND c.op = 'update' THEN c.captured_at ELSE t.occurred_at END
      FROM t WHERE t.id = c.transaction_id`;
    await primary.query(moved(`'1', '2'`, '3 months'));
    await primary.query(moved(`'3'`, '10 days'));
    await subscribe();
    await write(4);
    const integrity = app.get(IntegrityService);
    expect(await integrity.verify()).toMatchObject({ ok: true });
    const purged = (await app.get(RetentionService).purge({})) as PurgeSummary;
    expect(purged.deletedChanges).toBe(5);
    expect(purged.partitions.filter((r) => r.transactions > 0)).toMatchObject([
      { action: 'dropped', changes: 4, sealedTransactions: 2 },
    ]);
    await write(5);
    expect(await integrity.verify()).toMatchObject({ ok: true });
    await caughtUp();
    const count = async (db: Client, sql: string) => Number((await db.query(sql)).rows[0].n);
    expect(await count(primary, `SELECT count(*) AS n FROM audit_changes`)).toBe(5);
    expect(await count(copy, `SELECT count(*) AS n FROM audit_changes`)).toBe(10);
    expect(await count(copy, `SELECT count(*) AS n FROM audit_actions`)).toBe(1);
    // the same history, and on the archive what the source purged too
    const history = async (nest: INestApplication) =>
      (await nest.get(AuditQueryService).history('items', 1)).map((c) => c.op);
    expect(await history(app)).toEqual([]);
    expect(await history(reader)).toEqual(['update', 'insert']);
    expect(await reader.get(AuditQueryService).history('items', 4)).toEqual(
      await app.get(AuditQueryService).history('items', 4),
    );
    // the partial purge's ledger names a change the archive still holds
    expect(
      await count(
        copy,
        `SELECT count(*) AS n FROM audit_purged AS p WHERE EXISTS (SELECT 1 FROM audit_changes AS c WHERE c.id = p.change_id)`,
      ),
    ).toBe(1);
    // verification on the archive: nothing sealed there, every replicated seal checked, the kept changes as themselves
    const seals = await count(primary, `SELECT count(*) AS n FROM audit_seals`);
    const checked = await reader.get(IntegrityService).verify();
    expect(checked).toMatchObject({ ok: true, sealedNow: 0, checked: seals, problemCount: 0 });
    expect(await count(copy, `SELECT count(*) AS n FROM audit_seals`)).toBe(seals);
    // an edit of a change the source purged is caught on the archive
    await copy.query(
      `UPDATE audit_changes SET data_after = '{"id": 2, "v": "forged"}' WHERE table_pk->>'id' = '2' AND op = 'insert'`,
    );
    const edited = await reader.get(IntegrityService).verify();
    expect(edited.ok).toBe(false);
    expect(edited.problems[0].message).toMatch(/was altered after sealing/);
  });

  it('nothing seals or purges on the archive; what it must keep, a forgery and a stopped subscription turn it red', async () => {
    const messages = async () => (await reader.get(IntegrityService).verify()).problems.map((p) => p.message);
    const count = async (sql: string) => Number((await copy.query(sql)).rows[0].n);
    const seals = await count(`SELECT count(*) AS n FROM audit_seals`);
    // what export, proofs and checkpoints seal through, and retention (the app's own schedule, booted here)
    expect(await sealCommitted(reader.get(DataSource))).toBe(0);
    expect(await reader.get(RetentionService).purge({ cutoff: new Date().toISOString() })).toMatchObject({
      status: 'disabled',
      reason: expect.stringContaining('this database is an archive of the audit log'),
    });
    expect(await count(`SELECT count(*) AS n FROM audit_seals`)).toBe(seals);
    await copy.query(
      `UPDATE audit_changes SET data_after = '{"id": 2, "v": "b"}' WHERE table_pk->>'id' = '2' AND op = 'insert'`,
    );
    // a kept change the source purged, deleted here: the ledger does not excuse it on an archive
    await copy.query(`DELETE FROM audit_changes WHERE table_pk->>'id' = '2' AND op = 'update'`);
    // and a transaction the source purged whole, deleted here with its changes and action
    await copy.query(`WITH t AS (SELECT transaction_id AS id FROM audit_changes WHERE table_pk->>'id' = '1' LIMIT 1),
        a AS (DELETE FROM audit_actions WHERE transaction_id IN (SELECT id FROM t)),
        c AS (DELETE FROM audit_changes WHERE transaction_id IN (SELECT id FROM t))
      DELETE FROM audit_transactions WHERE id IN (SELECT id FROM t)`);
    // (in the order of their seals, which the sealer gave them in commit order)
    const found = await messages();
    expect(found).toHaveLength(2);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/1 change\(s\) deleted after sealing \(2 sealed, 1 now\)/),
        expect.stringMatching(/was deleted after sealing/),
      ]),
    );
    // a transaction forged here with a txid past the source's: reported once older than a day before the newest seal,
    // or dated in the future
    await copy.query(`INSERT INTO audit_transactions (txid, occurred_at) VALUES (9000000000, now() - interval '2 days'),
      (9000000001, now() + interval '1 day')`);
    expect((await messages()).filter((m) => /has no seal though the sealer has passed it/.test(m))).toHaveLength(2);
    // replication stopped: red until it runs again
    await copy.query(`ALTER SUBSCRIPTION threadline_archive DISABLE`);
    expect(await messages()).toContainEqual(
      expect.stringMatching(/subscription threadline_archive is disabled: it no longer receives the log/),
    );
  });
});

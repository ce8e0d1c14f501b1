import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  auditSchemaSql,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
  ThreadlineCaptureModule,
} from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { PurgeSummary, RetentionError, RetentionOptions, RetentionService, ThreadlineRetentionModule } from '../src';

describe('retention purge (real PostgreSQL)', () => {
  let db: TestDatabase;
  let close: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id serial PRIMARY KEY, v int); CREATE TABLE sessions (id serial PRIMARY KEY)`);
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
    await db.drop();
  });

  async function service(policy: RetentionOptions): Promise<RetentionService> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineRetentionModule.forRoot(policy),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    close = () => app.close();
    return app.get(RetentionService);
  }

  /** One audit transaction with changes captured at the given SQL timestamps. */
  async function seed(capturedAt: string[], table = 'items', occurredAt = capturedAt[0]): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, ${occurredAt}) RETURNING id`,
    );
    for (const [i, at] of capturedAt.entries()) {
      await db.query(
        `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
         VALUES ($1, 'public', $2, 'insert', jsonb_build_object('id', $3::int), '{}', ${at})`,
        [id, table, i],
      );
    }
    return id;
  }
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0].n);

  it('keeps a change captured exactly at the cutoff and deletes one a microsecond older', async () => {
    const retention = await service({ keepDays: 1, enabled: true });
    const cutoff = '2020-01-01 00:00:00.000001+00';
    await seed([`'${cutoff}'`]);
    await seed([`'2020-01-01 00:00:00+00'`]);
    const result = (await retention.purge({ cutoff })) as PurgeSummary;
    expect(result).toMatchObject({
      status: 'completed',
      dryRun: false,
      deletedChanges: 1,
      deletedTransactions: 1,
      batchesRun: 1,
    });
    expect(await db.query(`SELECT captured_at::text AS at FROM audit_changes`)).toEqual([
      { at: '2020-01-01 00:00:00.000001+00' },
    ]);
  });

  it('judges the changes of one long transaction one by one, and keeps a transaction that still has changes', async () => {
    const retention = await service({ keepDays: 30, enabled: true });
    const tx = await seed([`now() - interval '40 days'`, `now() - interval '31 days'`, `now() - interval '29 days'`]);
    const result = (await retention.purge()) as PurgeSummary;
    expect(result).toMatchObject({ deletedChanges: 2, deletedTransactions: 0 });
    expect(await count(`SELECT count(*) AS n FROM audit_changes WHERE transaction_id = '${tx}'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM audit_transactions`)).toBe(1);
  });

  it('removes parent transactions left empty, or keeps them when deleteEmptyTransactions is false; never purges actions', async () => {
    await db.query(
      `INSERT INTO audit_actions (name, actor_ref, inserted_at, transaction_id) VALUES ('old.action', '{"type":"system","id":"x"}', now() - interval '400 days', gen_random_uuid())`,
    );
    await seed([`now() - interval '400 days'`]);
    const keep = await service({ keepDays: 30, enabled: true, deleteEmptyTransactions: false });
    expect(await keep.purge()).toMatchObject({ deletedChanges: 1, deletedTransactions: 0 });
    expect(await count(`SELECT count(*) AS n FROM audit_transactions`)).toBe(1);
    await close!();
    close = undefined;
    await seed([`now() - interval '400 days'`]);
    const remove = await service({ keepDays: 30, enabled: true });
    expect(await remove.purge()).toMatchObject({ deletedChanges: 1, deletedTransactions: 1 });
    // the transaction emptied earlier (with deleteEmptyTransactions false) is not this run's business
    expect(await count(`SELECT count(*) AS n FROM audit_transactions`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM audit_actions`)).toBe(1);
  });

  it('answers a disabled policy with a typed result and deletes nothing; a dry run still counts', async () => {
    await seed([`now() - interval '100 days'`, `now() - interval '100 days'`]);
    await seed([`now() - interval '1 day'`]);
    const retention = await service({ keepDays: 90, enabled: false });
    expect(await retention.purge()).toEqual({
      status: 'disabled',
      reason: expect.stringContaining('retention.enabled is false'),
    });
    expect(await retention.purge({ dryRun: true })).toMatchObject({
      status: 'completed',
      dryRun: true,
      deletedChanges: 2,
      deletedTransactions: 1,
      batchesRun: 1,
    });
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBe(3);
  });

  it('accepts only a stricter cutoff, and rejects bad batch settings, naming the rule', async () => {
    const retention = await service({ keepDays: 90, enabled: true });
    await expect(retention.purge({ cutoff: new Date() })).rejects.toThrow(RetentionError);
    await expect(retention.purge({ cutoff: new Date() })).rejects.toThrow('is newer than the policy allows');
    for (const cutoff of ['yesterday-ish', '2026-02-30', '1', '2026-01-01T24:00:00Z']) {
      await expect(retention.purge({ cutoff })).rejects.toThrow(RetentionError);
      await expect(retention.purge({ cutoff })).rejects.toThrow('retention: cutoff must be a Date or an ISO 8601');
    }
    await expect(retention.purge({ cutoff: new Date(NaN) })).rejects.toThrow(
      'retention: cutoff must be a Date or an ISO 8601',
    );
    // without its zone the session's TimeZone would decide the instant
    await expect(retention.purge({ cutoff: '2020-01-01T00:00:00' })).rejects.toThrow(
      'retention: cutoff 2020-01-01T00:00:00 names no time zone',
    );
    await expect(retention.purge({ batchSize: 0 })).rejects.toThrow('retention: batchSize must be a positive integer');
  });

  it('stops at maxBatches, says eligible rows remain, and the next run finishes', async () => {
    for (let i = 0; i < 7; i++) await seed([`now() - interval '100 days'`]);
    const retention = await service({ keepDays: 90, enabled: true, batchSize: 2, maxBatches: 2 });
    expect(await retention.purge()).toMatchObject({ deletedChanges: 4, batchesRun: 2, maxBatchesReached: true });
    expect(await retention.purge()).toMatchObject({ deletedChanges: 3, batchesRun: 2, maxBatchesReached: false });
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM audit_transactions`)).toBe(0);
  });

  it('applies per-table windows on top of the global one, and checks their tables exist at boot', async () => {
    await seed([`now() - interval '10 days'`], 'sessions');
    await seed([`now() - interval '10 days'`], 'items');
    await seed([`now() - interval '100 days'`], 'items');
    const retention = await service({ keepDays: 90, enabled: true, tables: { sessions: { keepDays: 7 } } });
    expect(await retention.purge({ dryRun: true })).toMatchObject({ deletedChanges: 2, deletedTransactions: 2 });
    expect(await retention.purge()).toMatchObject({ deletedChanges: 2, deletedTransactions: 2 });
    expect(await db.query(`SELECT table_name FROM audit_changes`)).toEqual([{ table_name: 'items' }]);
    await close!();
    close = undefined;
    await expect(service({ keepDays: 90, tables: { sesions: { keepDays: 7 } } })).rejects.toThrow(
      'retention.tables names public.sesions, not a table in the database',
    );
  });

  it('purges a table window over many batches exactly as one pass would, going on from the last id deleted', async () => {
    // 1,200 changes, items and sessions interleaved, captured at times that do not follow their ids
    const [{ id: tx }] = await db.query<{ id: string }>(
      `INSERT INTO audit_transactions (txid) VALUES (1) RETURNING id`,
    );
    await db.query(
      `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
       SELECT $1, 'public', CASE WHEN g % 3 = 0 THEN 'items' ELSE 'sessions' END, 'insert', jsonb_build_object('id', g), '{}',
              now() - ((g * 7919) % 200) * interval '1 day'
       FROM generate_series(1, 1200) g`,
      [tx],
    );
    const survivors = `SELECT array_agg(id ORDER BY id)::text AS ids FROM audit_changes`;
    // what one pass over every change would keep: each change younger than its table's window
    const [{ ids: expected }] = await db.query<{ ids: string }>(
      `SELECT array_agg(id ORDER BY id)::text AS ids FROM audit_changes
       WHERE captured_at >= now() - (CASE WHEN table_name = 'sessions' THEN 7 ELSE 90 END) * interval '1 day'`,
    );
    const retention = await service({ keepDays: 90, enabled: true, tables: { sessions: { keepDays: 7 } } });
    const batches: number[] = [];
    // stopped by maxBatches half-way, then resumed: the second run finds what the first left
    const first = (await retention.purge({ batchSize: 25, maxBatches: 20 })) as PurgeSummary;
    expect(first).toMatchObject({ batchesRun: 20, maxBatchesReached: true });
    const second = (await retention.purge({
      batchSize: 25,
      onBatch: (p) => batches.push(p.deletedChanges),
    })) as PurgeSummary;
    expect(second.maxBatchesReached).toBe(false);
    expect((await db.query<{ ids: string }>(survivors))[0].ids).toBe(expected);
    expect(
      first.deletedChanges + second.deletedChanges + (await count(`SELECT count(*) AS n FROM audit_changes`)),
    ).toBe(1200);
    expect(batches.length).toBeGreaterThan(10);
  });

  it('lets only one purge run at a time: a live lease says busy, naming its holder; an expired one is taken over', async () => {
    await seed([`now() - interval '100 days'`]);
    const retention = await service({ keepDays: 90, enabled: true });
    const other = new Client({ connectionString: db.url }); // the other instance, alive, mid-purge
    await other.connect();
    await other.query(
      `INSERT INTO audit_leases VALUES ('retention purge', '4242:other-instance', now() + interval '2 minutes', pg_backend_pid())`,
    );
    expect(await retention.purge()).toEqual({
      status: 'busy',
      reason: expect.stringMatching(
        /^another purge is running \(4242:other-instance holds the retention lease until \d{4}-\d\d-\d\dT[\d:.]+Z\); nothing deleted$/,
      ),
    });
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBe(1);
    // its lease ran out (behind a pooler a dead holder's server session lives on): the next purge takes over
    await db.query(`UPDATE audit_leases SET expires_at = now() - interval '1 second'`);
    expect(await retention.purge()).toMatchObject({ status: 'completed', deletedChanges: 1 });
    expect(await count(`SELECT count(*) AS n FROM audit_leases`)).toBe(0); // released when done
    // killed mid-purge on a direct connection: its session is gone, so its lease is free at once
    await other.query(
      `INSERT INTO audit_leases VALUES ('retention purge', '4242:other-instance', now() + interval '2 minutes', pg_backend_pid())`,
    );
    await other.end();
    await seed([`now() - interval '100 days'`]);
    expect(await retention.purge()).toMatchObject({ status: 'completed', deletedChanges: 1 });
  });

  it('stops, leaving no change without its transaction, when its lease was lost to another purge', async () => {
    for (let i = 0; i < 6; i++) await seed([`now() - interval '100 days'`, `now() - interval '100 days'`]);
    const retention = await service({ keepDays: 90, enabled: true });
    // connected beforehand, so taking the lease over is one round trip, long before the purge's 12 batches end
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      let taken: Promise<unknown> | undefined;
      await expect(
        retention.purge({
          batchSize: 1,
          onBatch: (progress) => {
            if (progress.batch === 1)
              taken = other.query(`UPDATE audit_leases SET holder = 'another-purge' WHERE name = 'retention purge'`);
          },
        }),
      ).rejects.toThrow(
        /retention purge lost its lease after \d+ batches .*every deleted change went with its transaction/,
      );
      await taken;
    } finally {
      await other.end();
    }
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_changes c WHERE NOT EXISTS (SELECT 1 FROM audit_transactions t WHERE t.id = c.transaction_id)`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBeGreaterThan(0);
    expect(await db.query(`SELECT holder FROM audit_leases`)).toEqual([{ holder: 'another-purge' }]); // not ours to release
  });

  it('leaves every remaining change with its transaction when stopped between batches, and the next run finishes', async () => {
    for (let i = 0; i < 10; i++) await seed([`now() - interval '100 days'`, `now() - interval '100 days'`]);
    const retention = await service({ keepDays: 90, enabled: true, batchSize: 3 });
    const crash = retention.purge({
      onBatch: (p) => {
        if (p.batch === 2) throw new Error('killed between batches');
      },
    });
    await expect(crash).rejects.toThrow('killed between batches');
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBe(14);
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_changes c WHERE NOT EXISTS (SELECT 1 FROM audit_transactions t WHERE t.id = c.transaction_id)`,
      ),
    ).toBe(0);
    expect(await retention.purge()).toMatchObject({ deletedChanges: 14, deletedTransactions: expect.any(Number) });
    expect(await count(`SELECT count(*) AS n FROM audit_transactions`)).toBe(0);
  });

  it('logs every batch with cumulative counts and a summary saying whether maxBatches was hit, as structured records', async () => {
    for (let i = 0; i < 5; i++) await seed([`now() - interval '100 days'`]);
    const lines: { context?: string; record: unknown }[] = [];
    const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, record: unknown) {
      lines.push({ context: (this as unknown as { context?: string }).context, record });
    });
    try {
      const retention = await service({ keepDays: 90, enabled: true, batchSize: 2, maxBatches: 2 });
      await retention.purge();
    } finally {
      spy.mockRestore();
    }
    // the app's logger is not Nest's console logger here (logging is off): each line is a record, its fields apart
    expect(lines.filter((l) => l.context === 'RetentionService').map((l) => l.record)).toEqual([
      {
        msg: 'threadline retention purge batch 1 done',
        event: 'retention:batch',
        batch: 1,
        deleted_changes: 2,
        deleted_transactions: 2,
      },
      {
        msg: 'threadline retention purge batch 2 done',
        event: 'retention:batch',
        batch: 2,
        deleted_changes: 4,
        deleted_transactions: 4,
      },
      {
        msg: 'threadline retention purge done: max_batches reached, eligible rows remain for the next run',
        event: 'retention:purged',
        deleted_changes: 4,
        deleted_transactions: 4,
        batches: 2,
        max_batches: 2,
        max_batches_reached: true,
        partitions: 0,
        legal_holds: '',
        duration_ms: expect.any(Number),
      },
    ]);
  });

  it('deletes only eligible rows while 4 writers keep inserting audited rows, and no writer waits long on a lock', async () => {
    const options = resolveCaptureOptions({});
    const [table] = await describeTables({ query: (sql: string, p?: unknown[]) => db.query(sql, p) }, [
      { schema: 'public', table: 'items' },
    ]);
    await db.query(generateTriggerSql(table!, tableOptionsFor(options, 'public', 'items'), options).up);
    for (let i = 0; i < 40; i++) await seed(Array.from({ length: 50 }, () => `now() - interval '100 days'`));
    const retention = await service({ keepDays: 90, enabled: true, batchSize: 100 });
    let purging = true;
    let maxWait = 0;
    let written = 0;
    const writers = Array.from({ length: 4 }, async () => {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      while (purging) {
        const started = Date.now();
        await c.query(`INSERT INTO items (v) VALUES (1)`);
        maxWait = Math.max(maxWait, Date.now() - started);
        written++;
      }
      await c.end();
    });
    const startedPurge = Date.now();
    const result = (await retention.purge()) as PurgeSummary;
    const purgeMs = Date.now() - startedPurge;
    purging = false;
    await Promise.all(writers);
    expect(result.deletedChanges).toBe(2000);
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_changes WHERE table_name = 'items' AND op = 'insert' AND captured_at > now() - interval '1 day'`,
      ),
    ).toBe(written);
    expect(await count(`SELECT count(*) AS n FROM items`)).toBe(written);
    // generous: a writer may wait for at most about one batch, never for the whole purge
    expect(maxWait).toBeLessThan(Math.max(2000, purgeMs));
  });
});

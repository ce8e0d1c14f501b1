import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureOptions, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { ThreadlineHealthModule } from '@threadline/health';
import { BASELINE_ACTOR, BaselineService, ThreadlineBaselineModule } from '../src';

const ROWS = 2500;
const CAPTURE: CaptureOptions = { tables: { legacy: { mask: ['email'] } } };

describe('baseline snapshots (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let baselines: BaselineService;

  beforeEach(async () => {
    db = await createTestDatabase();
    // Rows that exist before capture is installed: the brownfield case.
    await db.query(`CREATE TABLE legacy (id int PRIMARY KEY, email text, name text);
                    INSERT INTO legacy SELECT g, 'person' || g || '@secret.example', 'name ' || g FROM generate_series(1, ${ROWS}) g;
                    CREATE TABLE posts (kind text, n int, title text, PRIMARY KEY (kind, n));
                    INSERT INTO posts VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('b', 1, 'z')`);
    await db.query(auditSchemaSql('public').up);
    app = await boot(CAPTURE);
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['legacy', 'posts'] })).up);
    baselines = app.get(BaselineService);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  async function boot(capture: CaptureOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot(capture),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineBaselineModule,
      ],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    return created;
  }
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0].n);
  const snapshotsPerRow = () =>
    db.query<{ n: string; rows: string }>(
      `SELECT count(*) AS n, count(DISTINCT table_pk) AS rows FROM audit_changes WHERE table_name = 'legacy' AND op = 'snapshot'`,
    );

  it('a dry run counts the rows without history and writes nothing', async () => {
    await db.query(`UPDATE legacy SET name = 'touched' WHERE id <= 10`);
    const before = await count(`SELECT count(*) AS n FROM audit_changes`);
    const result = await baselines.baseline('legacy', { batchSize: 400 });
    expect(result).toMatchObject({
      table: 'public.legacy',
      status: 'dry_run',
      transactionId: null,
      rowsWithoutHistory: ROWS - 10,
      written: 0,
      batchSize: 400,
    });
    expect(await count(`SELECT count(*) AS n FROM audit_changes`)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM audit_transactions WHERE source = 'threadline:baseline'`)).toBe(0);
  });

  it('writes one redacted snapshot per row without history, under one baseline transaction with a system actor', async () => {
    await db.query(`UPDATE legacy SET name = 'touched' WHERE id = 7`);
    const result = await baselines.baseline('legacy', { execute: true, batchSize: 1000 });
    expect(result).toMatchObject({
      status: 'complete',
      resumed: false,
      rowsWithoutHistory: ROWS - 1,
      written: ROWS - 1,
      snapshots: ROWS - 1,
      batches: 3,
    });
    const [tx] = await db.query<{ id: string; actor_ref: unknown; source: string; meta: Record<string, unknown> }>(
      `SELECT id, actor_ref, source, meta FROM audit_transactions WHERE source = 'threadline:baseline'`,
    );
    expect(tx).toMatchObject({
      id: result.transactionId,
      actor_ref: BASELINE_ACTOR,
      source: 'threadline:baseline',
      meta: { baseline: true, table: 'public.legacy', snapshots: ROWS - 1 },
    });
    expect(tx.meta.completed_at).toEqual(expect.any(String));
    expect(await snapshotsPerRow()).toEqual([{ n: String(ROWS - 1), rows: String(ROWS - 1) }]);
    // Row 7 already had history: it gets no snapshot.
    expect(
      await count(`SELECT count(*) AS n FROM audit_changes WHERE op = 'snapshot' AND table_pk = '{"id": 7}'`),
    ).toBe(0);
    const [row] = await db.query<{ data_after: Record<string, unknown>; transaction_id: string }>(
      `SELECT data_after, transaction_id FROM audit_changes WHERE op = 'snapshot' AND table_pk = '{"id": 42}'`,
    );
    expect(row).toEqual({
      transaction_id: result.transactionId,
      data_after: { id: 42, email: '[REDACTED]', name: 'name 42' },
    });
    expect(await count(`SELECT count(*) AS n FROM audit_changes WHERE data_after::text LIKE '%secret.example%'`)).toBe(
      0,
    );
    // Every row has history now: nothing left to do, and no second baseline transaction.
    expect(await baselines.baseline('legacy', { execute: true })).toMatchObject({
      status: 'nothing_to_do',
      written: 0,
    });
    expect(await count(`SELECT count(*) AS n FROM audit_transactions WHERE source = 'threadline:baseline'`)).toBe(1);
  });

  it('walks a composite primary key', async () => {
    const result = await baselines.baseline('posts', { execute: true, batchSize: 1 });
    expect(result).toMatchObject({ status: 'complete', written: 3, batches: 4 });
    const keys = await db.query<{ table_pk: unknown }>(
      `SELECT table_pk FROM audit_changes WHERE table_name = 'posts' ORDER BY id`,
    );
    expect(keys.map((k) => k.table_pk)).toEqual([
      { kind: 'a', n: 1 },
      { kind: 'a', n: 2 },
      { kind: 'b', n: 1 },
    ]);
  });

  it('stopped after some batches, then re-run, ends with exactly one snapshot per row in the same transaction', async () => {
    const stopped = await baselines.baseline('legacy', { execute: true, batchSize: 300, maxBatches: 2 });
    expect(stopped).toMatchObject({ status: 'stopped', written: 600, snapshots: 600, batches: 2 });
    expect((await baselines.baseline('legacy', {})).resumed).toBe(true); // the dry run sees the open baseline
    const resumed = await baselines.baseline('legacy', { execute: true, batchSize: 300 });
    expect(resumed).toMatchObject({
      status: 'complete',
      resumed: true,
      transactionId: stopped.transactionId,
      written: ROWS - 600,
      snapshots: ROWS,
    });
    expect(await snapshotsPerRow()).toEqual([{ n: String(ROWS), rows: String(ROWS) }]);
  });

  it('killed mid-run (its connection terminated), then re-run, ends with exactly one snapshot per row', async () => {
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const run = baselines.baseline('legacy', { execute: true, batchSize: 5 });
      // Wait until some batches have committed, then terminate the session holding the table's baseline lease
      // (its lease is then free at once: its holder's session is gone).
      let pid: number | undefined;
      while (!pid) {
        const [row] = (
          await admin.query(
            `SELECT backend_pid AS pid FROM audit_leases WHERE name = 'baseline public.legacy' AND (SELECT count(*) FROM audit_changes WHERE op = 'snapshot') >= 200`,
          )
        ).rows;
        pid = row?.pid;
      }
      await admin.query(`SELECT pg_terminate_backend($1, 10000)`, [pid]); // returns once the session is gone
      await expect(run).rejects.toThrow();
      const partial = await count(`SELECT count(*) AS n FROM audit_changes WHERE op = 'snapshot'`);
      expect(partial).toBeGreaterThanOrEqual(200);
      expect(partial).toBeLessThan(ROWS);
      const resumed = await baselines.baseline('legacy', { execute: true, batchSize: 1000 });
      expect(resumed).toMatchObject({ status: 'complete', resumed: true, written: ROWS - partial, snapshots: ROWS });
      expect(await snapshotsPerRow()).toEqual([{ n: String(ROWS), rows: String(ROWS) }]);
    } finally {
      await admin.end();
    }
  });

  it('concurrent writes are captured normally and ordered after their row snapshot', async () => {
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    let stop = false;
    let writes = 0;
    const writing = (async () => {
      while (!stop) {
        const id = 1 + Math.floor(Math.random() * ROWS);
        await writer.query(`UPDATE legacy SET name = name || '+' WHERE id = $1`, [id]);
        await writer.query(`INSERT INTO legacy VALUES ($1, 'new@secret.example', 'new') ON CONFLICT DO NOTHING`, [
          ROWS + 1 + writes,
        ]);
        writes++;
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 50));
      const result = await baselines.baseline('legacy', { execute: true, batchSize: 100 });
      expect(result.status).toBe('complete');
    } finally {
      stop = true;
      await writing;
      await writer.end();
    }
    expect(writes).toBeGreaterThan(0);
    // Every row has history; none has two snapshots; no write precedes its row's snapshot...
    expect(
      await count(
        `SELECT count(*) AS n FROM legacy n WHERE NOT EXISTS (SELECT 1 FROM audit_changes c WHERE c.table_name = 'legacy' AND c.table_pk = jsonb_build_object('id', n.id))`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM (SELECT table_pk FROM audit_changes WHERE op = 'snapshot' GROUP BY table_pk HAVING count(*) > 1) d`,
      ),
    ).toBe(0);
    const ordering = await db.query<{ after: string; before: string }>(
      `SELECT count(*) FILTER (WHERE w.id > s.id AND w.captured_at >= s.captured_at) AS after, count(*) FILTER (WHERE w.id < s.id OR w.captured_at < s.captured_at) AS before
       FROM audit_changes s JOIN audit_changes w ON w.table_pk = s.table_pk AND w.table_name = 'legacy' AND w.op <> 'snapshot'
       WHERE s.op = 'snapshot'`,
    );
    expect(Number(ordering[0].after)).toBeGreaterThan(0); // some writes did land on rows already snapshotted
    expect(ordering[0].before).toBe('0');
    // ...and each row's latest change is the row as it is now (so the snapshot never overwrote a newer write).
    const stale = await count(`SELECT count(*) AS n FROM legacy n
      JOIN LATERAL (SELECT data_after FROM audit_changes c WHERE c.table_name = 'legacy' AND c.table_pk = jsonb_build_object('id', n.id) ORDER BY c.id DESC LIMIT 1) last ON true
      WHERE last.data_after ->> 'name' IS DISTINCT FROM n.name`);
    expect(stale).toBe(0);
  });

  it('refuses a table without triggers, with drifted redaction, or already being baselined; checks its options', async () => {
    await db.query(`CREATE TABLE bare (id int PRIMARY KEY)`);
    await expect(baselines.baseline('bare', { execute: true })).rejects.toThrow(
      'public.bare has no Threadline triggers',
    );
    await expect(baselines.baseline('nope')).rejects.toThrow('public.nope is not a table in the database');
    await expect(baselines.baseline('legacy', { batchSize: 0 })).rejects.toThrow(
      'batchSize must be an integer from 1 to 100000 (got 0)',
    );
    const locker = new Client({ connectionString: db.url }); // another baseline of the table, alive
    await locker.connect();
    await locker.query(
      `INSERT INTO audit_leases VALUES ('baseline public.legacy', 'other', now() + interval '2 minutes', pg_backend_pid())`,
    );
    expect(await baselines.baseline('legacy', { execute: true })).toMatchObject({ status: 'busy', written: 0 });
    await locker.end();
    await db.query(`DELETE FROM audit_leases`);
    await app!.close();
    app = await boot({ tables: { legacy: { mask: ['email', 'name'] } } });
    await expect(app.get(BaselineService).baseline('legacy', { execute: true })).rejects.toThrow(
      'public.legacy: Drift detected (mask: deployed lacks name); regenerate its triggers first',
    );
    expect(await count(`SELECT count(*) AS n FROM audit_changes WHERE op = 'snapshot'`)).toBe(0);
  });
});

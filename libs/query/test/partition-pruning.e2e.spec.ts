import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { AbstractLogger, DataSource, LogLevel, LogMessage } from 'typeorm';
import { AuditQueryService, ThreadlineQueryModule } from '../src';

const MONTHS = 12;

/** Keeps the last change query TypeORM sent, with its parameters, to EXPLAIN exactly what it ran. */
class LastQuery extends AbstractLogger {
  sql = '';
  params: unknown[] = [];
  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[]): void {}
  logQuery(query: string, parameters?: unknown[]): void {
    if (!query.startsWith('EXPLAIN') && query.includes('CROSS JOIN LATERAL')) {
      this.sql = query;
      this.params = parameters ?? [];
    }
  }
}

const monthsAgo = (n: number) => `now() - interval '${n} months'`;

/**
 * On partitioned storage (capture.partitioning) the change queries read only the partitions that can hold their
 * answer: a `to` bound, an older page's cursor, an as-of time and a correlation or trace id each skip the others,
 * checked in EXPLAIN ANALYZE of the very statement the service ran, with the same answers as without pruning.
 */
describe('partition pruning of the change queries (real PostgreSQL, EXPLAIN)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;
  const logger = new LastQuery();
  let starts: Map<string, Date>;

  /** The audit_changes partitions the last change query read (default included), each with its start. */
  const partitionsRead = async () => {
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${logger.sql}`,
      logger.params,
    );
    const read = new Set<string>();
    for (const { 'QUERY PLAN': line } of plan) {
      const m = / on (audit_changes_(?:p\d{8}|default))\b/.exec(line);
      if (m && !line.includes('never executed')) read.add(m[1]);
    }
    return [...read];
  };
  const startsOf = (names: string[]) => names.filter((n) => !n.endsWith('_default')).map((n) => starts.get(n)!);
  /** The starts of the partitions that begin by `at`, oldest first. */
  const before = (at: Date) =>
    [...starts.values()].filter((s) => s.getTime() <= at.getTime()).sort((a, b) => a.getTime() - b.getTime());

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public', { partitioning: { interval: 'month', ahead: 3 } }).up);
    await db.query('CREATE TABLE orders (id int PRIMARY KEY)');
    for (let m = MONTHS; m >= 1; m--) await db.query(`SELECT threadline_partitions_maintain_at(${monthsAgo(m)})`);
    // a transaction a day for a year, two changes each, rows 1-50; two transactions share a correlation id, one a trace
    await db.query(`INSERT INTO audit_transactions (id, txid, occurred_at, actor_ref, correlation_id, meta)
      SELECT md5(g::text)::uuid, g, now() - g * interval '1 day' - interval '1 hour',
             jsonb_build_object('type', 'user', 'id', (g % 7)::text),
             CASE WHEN g IN (200, 201) THEN 'corr-narrow' END,
             CASE WHEN g = 100 THEN '{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}'::jsonb END
      FROM generate_series(1, 365) g`);
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after,
                                               captured_at, transaction_occurred_at)
      SELECT t.id, 'public', 'orders', 'update', jsonb_build_object('id', t.txid % 50 + k), jsonb_build_object('v', t.txid),
             t.occurred_at + k * interval '1 second', t.occurred_at
      FROM audit_transactions t CROSS JOIN generate_series(0, 1) k`);
    await db.query('ANALYZE audit_transactions; ANALYZE audit_changes');
    starts = new Map(
      (
        await db.query<{ name: string; from_at: Date }>(
          `SELECT partition_name AS name, from_at FROM threadline_partitions() WHERE table_name = 'audit_changes' AND NOT is_default`,
        )
      ).map((r) => [r.name, r.from_at]),
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, logger, logging: true }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineQueryModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    queries = app.get(AuditQueryService);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const at = async (sql: string) => (await db.query<{ at: Date }>(`SELECT ${sql} AS at`))[0].at;
  const idsOf = async (sql: string) => (await db.query<{ id: string }>(sql)).map((r) => r.id);

  it('a `to` bound and each older page read only the partitions that begin before it', async () => {
    expect(starts.size).toBeGreaterThanOrEqual(MONTHS + 3);
    const to = await at(monthsAgo(6));
    const page = await queries.timeline({ to: to.toISOString() }, { limit: 20 });
    expect(page.changes.map((c) => c.id)).toEqual(
      await idsOf(
        `SELECT id::text FROM audit_changes WHERE captured_at <= '${to.toISOString()}' ORDER BY captured_at DESC, id DESC LIMIT 20`,
      ),
    );
    // exactly the partitions that begin by `to` (and the default one): the six after it are never opened
    const read = await partitionsRead();
    expect(startsOf(read).sort((a, b) => a.getTime() - b.getTime())).toEqual(before(to));
    expect(read.length).toBeLessThan(starts.size - 5);

    // the first page of the whole timeline reads every partition; the page after a cursor nine months back does not
    let cursor: string | null | undefined;
    let last = '';
    for (let pages = 0; ; pages++) {
      const next = await queries.timeline({}, { limit: 100, cursor: cursor ?? undefined });
      cursor = next.nextCursor;
      last = next.changes[next.changes.length - 1].captured_at;
      if (new Date(last) < (await at(monthsAgo(9))) || !cursor) break;
    }
    expect(cursor).toEqual(expect.any(String));
    await queries.timeline({}, { limit: 20, cursor: cursor! });
    const older = await partitionsRead();
    expect(older.length).toBeLessThanOrEqual(4);
    for (const start of startsOf(older)) expect(start.getTime()).toBeLessThanOrEqual(new Date(last).getTime());
  });

  it('as-of reads only the partitions up to its time, and answers as the whole history does', async () => {
    const when = await at(monthsAgo(9));
    const state = await queries.asOf('public.orders', { id: 7 }, when);
    const [expected] = await db.query<{ data_after: unknown }>(
      `SELECT data_after FROM audit_changes WHERE table_pk = '{"id": 7}' AND captured_at <= $1 ORDER BY captured_at DESC, id DESC LIMIT 1`,
      [when],
    );
    expect(state).toEqual(expected.data_after);
    const read = await partitionsRead();
    expect(startsOf(read).sort((a, b) => a.getTime() - b.getTime())).toEqual(before(when));
    // a history's first page has no time bound: it reads every partition's row index (documented in docs/scale.md)
    await queries.history('public.orders', { id: 7 }, { limit: 5 });
    expect((await partitionsRead()).length).toBe(starts.size + 1);
  });

  it('a correlation or trace id reads only the partitions its transactions began in', async () => {
    const correlated = await queries.timeline({ correlationId: 'corr-narrow' });
    expect(correlated.changes.map((c) => c.transaction.txid).sort()).toEqual(['200', '200', '201', '201']);
    const read = await partitionsRead();
    expect(read.length).toBeLessThanOrEqual(2);
    const [first] = await db.query<{ occurred_at: Date }>(
      `SELECT occurred_at FROM audit_transactions WHERE txid = 201`,
    );
    for (const start of startsOf(read)) expect(start.getTime()).toBeLessThanOrEqual(first.occurred_at.getTime());

    const traced = await queries.timeline({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(traced.changes.map((c) => c.transaction.txid)).toEqual(['100', '100']);
    expect((await partitionsRead()).length).toBe(1);
    // an unknown id reads no partition at all
    expect((await queries.timeline({ correlationId: 'nobody' })).changes).toEqual([]);
    expect(await partitionsRead()).toEqual([]);
  });

  it('does not remember a failed look at the storage: once the database is back, queries answer', async () => {
    const fresh = new AuditQueryService(app.get(DataSource));
    const name = new URL(db.url).pathname.slice(1);
    const admin = new Client({ connectionString: process.env.THREADLINE_TEST_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
      await expect(fresh.timeline({ correlationId: 'corr-narrow' })).rejects.toThrow();
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    // before: the first failure was kept and every later query failed with it
    expect((await fresh.timeline({ correlationId: 'corr-narrow' })).changes).toHaveLength(4);
    expect((await partitionsRead()).length).toBeLessThanOrEqual(2);
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditQueryIndexesSql, auditSchemaSql, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { AbstractLogger, LogLevel, LogMessage } from 'typeorm';
import { AuditQueryService, ThreadlineQueryModule } from '../src';

const CHANGES = 1_000_000;
const TABLES = 20;

/** Keeps the last statement TypeORM sent, with its parameters, to EXPLAIN exactly what a query ran. */
class LastQuery extends AbstractLogger {
  sql = '';
  params: unknown[] = [];
  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[]): void {}
  logQuery(query: string, parameters?: unknown[]): void {
    if (!query.startsWith('EXPLAIN')) {
      this.sql = query;
      this.params = parameters ?? [];
    }
  }
}

/** Every plan node that scans audit_changes sequentially. */
function seqScansOfChanges(plan: Record<string, unknown>): string[] {
  const here =
    plan['Node Type'] === 'Seq Scan' && plan['Relation Name'] === 'audit_changes' ? ['Seq Scan on audit_changes'] : [];
  return here.concat(((plan.Plans as Record<string, unknown>[]) ?? []).flatMap(seqScansOfChanges));
}

describe(`every exploration query uses an index with ${CHANGES.toLocaleString('en')} changes loaded`, () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;
  const logger = new LastQuery();

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public', { queryIndexes: false }).up);
    for (let t = 0; t < TABLES; t++) await db.query(`CREATE TABLE t${t} (id int PRIMARY KEY)`);
    // 100,000 transactions of 1,000 actors; 1% carry a correlation id, 1% link an action that does
    await db.query(`INSERT INTO audit_actions (id, name, actor_ref, correlation_id, transaction_id)
      SELECT md5('a' || g)::uuid, 'act', '{"type":"system","id":"x"}', 'act-corr-' || g, md5(((g - 1) * 100 + 50)::text)::uuid FROM generate_series(1, 1000) g`);
    await db.query(`INSERT INTO audit_transactions (id, txid, occurred_at, actor_ref, correlation_id, action_id)
      SELECT md5(g::text)::uuid, g, now() - (100000 - g) * interval '1 minute',
             jsonb_build_object('type', 'user', 'id', (g % 1000)::text),
             CASE WHEN g % 100 = 0 THEN 'corr-' || g END,
             CASE WHEN g % 100 = 50 THEN md5('a' || (g / 100 + 1))::uuid END
      FROM generate_series(1, 100000) g`);
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
      SELECT md5((1 + (g - 1) / 10)::text)::uuid, 'public', 't' || (g % ${TABLES}), 'insert',
             jsonb_build_object('id', g / ${TABLES}), jsonb_build_object('id', g / ${TABLES}, 'v', g),
             now() - (100000 - (1 + (g - 1) / 10)) * interval '1 minute'
      FROM generate_series(1, ${CHANGES}) g`);
    await db.query(auditQueryIndexesSql('public'));
    await db.query('VACUUM ANALYZE audit_changes');
    await db.query('ANALYZE audit_transactions');
    await db.query('ANALYZE audit_actions');
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
  }, 300_000);
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  const page2 = async () => {
    const first = await queries.timeline({ table: 't3' }, { limit: 50 });
    return queries.timeline({ table: 't3' }, { limit: 50, cursor: first.nextCursor! });
  };
  const shapes: [string, () => Promise<unknown>][] = [
    ['timeline, no filter', () => queries.timeline({})],
    [
      'timeline by time window',
      () => queries.timeline({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }),
    ],
    ['timeline by table', () => queries.timeline({ table: 't3' })],
    ['timeline by table, next page', page2],
    ['timeline by actor', () => queries.timeline({ actorRef: 'user:42' })],
    ['timeline by correlation', () => queries.timeline({ correlationId: 'corr-5000' })],
    ['timeline by correlation through an action', () => queries.timeline({ correlationId: 'act-corr-7' })],
    ['row history', () => queries.history('t3', 4242)],
    ['row as of a time', () => queries.asOf('t3', 4242, new Date().toISOString()).catch(() => undefined)],
    ['actor history', () => queries.actorHistory('user:42')],
    ['one transaction', () => queries.changesForTransaction('5d41402a-bc4b-2a76-b971-9d911017c592')],
  ];

  it.each(shapes)('%s: no sequential scan of audit_changes', async (_name, run) => {
    await run();
    const [{ 'QUERY PLAN': plan }] = await app
      .get(AuditQueryService)
      ['dataSource'].query(`EXPLAIN (FORMAT JSON) ${logger.sql}`, logger.params);
    expect(seqScansOfChanges(plan[0].Plan)).toEqual([]);
  });

  it('finds what it should at this scale', async () => {
    expect((await queries.timeline({ correlationId: 'corr-5000' })).changes).toHaveLength(10);
    expect((await queries.timeline({ correlationId: 'act-corr-7' })).changes.length).toBeGreaterThan(0);
    expect(await queries.history('t3', 4242)).toHaveLength(1);
  });

  it('timeline by correlation still uses an index when there are no actions at all', async () => {
    await db.query(`UPDATE audit_transactions SET action_id = NULL WHERE action_id IS NOT NULL`);
    await db.query(`DELETE FROM audit_actions`);
    await db.query(`ANALYZE audit_actions`);
    await db.query(`ANALYZE audit_transactions`);
    await queries.timeline({ correlationId: 'corr-5000' });
    const [{ 'QUERY PLAN': plan }] = await app
      .get(AuditQueryService)
      ['dataSource'].query(`EXPLAIN (FORMAT JSON) ${logger.sql}`, logger.params);
    expect(seqScansOfChanges(plan[0].Plan)).toEqual([]);
  });

  it('the check itself sees a sequential scan when there is one', async () => {
    const [{ 'QUERY PLAN': plan }] = await db.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(
      `EXPLAIN (FORMAT JSON) SELECT count(*) FROM audit_changes WHERE data_after->>'v' = '1'`,
    );
    expect(seqScansOfChanges(plan[0].Plan)).not.toEqual([]);
  });
});

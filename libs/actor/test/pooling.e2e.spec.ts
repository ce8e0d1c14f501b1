import { INestApplicationContext } from '@nestjs/common';
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
import { PgBouncerHandle, startPgBouncer } from '@threadline/testing/pgbouncer';
import { AbstractLogger, DataSource, LogLevel, LogMessage } from 'typeorm';
import { ActorRef, ThreadlineActorModule, ThreadlineContext } from '../src';

const WORKERS = 8;
const TRANSACTIONS = 200;
const POOL = 2;

/** Records every statement TypeORM sends, to count round trips. */
class RecordingLogger extends AbstractLogger {
  readonly queries: string[] = [];
  protected writeLog(_level: LogLevel, message: LogMessage | LogMessage[]): void {
    for (const m of Array.isArray(message) ? message : [message])
      if (m.type === 'query') this.queries.push(String(m.message));
  }
  logQuery(query: string): void {
    this.queries.push(query);
  }
}

async function boot(url: string, logger?: RecordingLogger): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url, extra: { max: WORKERS }, logger }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineActorModule.forRoot({ mountContext: false }),
    ],
  }).compile();
  return moduleRef.init();
}

describe('actor attribution under concurrency (real PostgreSQL, and PgBouncer in transaction pooling mode)', () => {
  let db: TestDatabase;
  let bouncer: PgBouncerHandle;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(
      `CREATE TABLE writes (id serial PRIMARY KEY, writer text NOT NULL, seq int NOT NULL, touched int NOT NULL DEFAULT 0)`,
    );
    await db.query(auditSchemaSql('public').up);
    const options = resolveCaptureOptions({});
    const [table] = await describeTables({ query: (sql: string, p?: unknown[]) => db.query(sql, p) }, [
      { schema: 'public', table: 'writes' },
    ]);
    await db.query(generateTriggerSql(table!, tableOptionsFor(options, 'public', 'writes'), options).up);
    bouncer = await startPgBouncer(db.url, POOL);
  }, 180_000);
  afterAll(async () => {
    await bouncer?.stop();
    await db.drop();
  });

  it.each([
    ['directly against PostgreSQL', () => db.url, 'direct'],
    ['through PgBouncer (transaction pooling, 2 server connections)', () => bouncer.url, 'bouncer'],
  ])(
    '%s: every change carries exactly the actor that wrote it, none leaks into actor-less transactions',
    async (_name, url, label) => {
      const app = await boot(url());
      const context = app.get(ThreadlineContext);
      const dataSource = app.get(DataSource);
      const backends = new Set<number>();
      try {
        await Promise.all(
          Array.from({ length: WORKERS }, async (_, w) => {
            for (let i = 0; i < TRANSACTIONS; i++) {
              const withActor = i % 2 === 0;
              const writer = withActor ? `${label}-w${w}` : `${label}-none`;
              const work = async (m: import('typeorm').EntityManager) => {
                const [{ pid }] = await m.query(`SELECT pg_backend_pid() AS pid`);
                backends.add(pid);
                const [{ id }] = await m.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2) RETURNING id`, [
                  writer,
                  i,
                ]);
                await m.query(`UPDATE writes SET touched = touched + 1 WHERE id = $1`, [id]);
              };
              if (withActor) await context.transaction(ActorRef.user(`${label}-w${w}`), work);
              else await dataSource.transaction(work);
            }
          }),
        );
      } finally {
        await app.close();
      }
      const [result] = await db.query<{ changes: number; mismatches: number; leaks: number; attributed: number }>(
        `SELECT count(*)::int AS changes,
              count(*) FILTER (WHERE c.data_after->>'writer' NOT LIKE '%-none' AND t.actor_ref IS DISTINCT FROM jsonb_build_object('type', 'user', 'id', c.data_after->>'writer'))::int AS mismatches,
              count(*) FILTER (WHERE c.data_after->>'writer' LIKE '%-none' AND t.actor_ref IS NOT NULL)::int AS leaks,
              count(*) FILTER (WHERE t.actor_ref IS NOT NULL)::int AS attributed
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.data_after->>'writer' LIKE $1`,
        [`${label}-%`],
      );
      expect(result).toEqual({
        changes: WORKERS * TRANSACTIONS * 2,
        mismatches: 0,
        leaks: 0,
        attributed: WORKERS * TRANSACTIONS,
      });
      if (label === 'bouncer') expect(backends.size).toBeLessThanOrEqual(POOL); // 8 clients really shared 2 server connections
    },
    180_000,
  );

  it('sets the context once per transaction, in the round trip that opens it', async () => {
    const logger = new RecordingLogger();
    const app = await boot(db.url, logger);
    try {
      await app.get(ThreadlineContext).run({ actor: ActorRef.user('7'), correlationId: 'c-1', requestId: 'r-1' }, () =>
        app.get(DataSource).transaction(async (m) => {
          await m.query(`INSERT INTO writes (writer, seq) VALUES ('rt', 1)`);
          await m.query(`INSERT INTO writes (writer, seq) VALUES ('rt', 2)`);
        }),
      );
    } finally {
      await app.close();
    }
    const sent = logger.queries.filter((q) => /START TRANSACTION|set_config|INSERT INTO writes|COMMIT/.test(q));
    expect(sent).toEqual([
      `START TRANSACTION; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', true), set_config('threadline.correlation_id', 'c-1', true), set_config('threadline.request_id', 'r-1', true)`,
      `INSERT INTO writes (writer, seq) VALUES ('rt', 1)`,
      `INSERT INTO writes (writer, seq) VALUES ('rt', 2)`,
      'COMMIT',
    ]);
  });

  it.each([
    ['directly against PostgreSQL', () => db.url, 'solo-direct'],
    ['through PgBouncer (transaction pooling, 2 server connections)', () => bouncer.url, 'solo-bouncer'],
  ])(
    '%s: writes outside any transaction carry their actor, and the settings end with each write',
    async (_name, url, label) => {
      const app = await boot(url());
      const context = app.get(ThreadlineContext);
      const dataSource = app.get(DataSource);
      try {
        await Promise.all(
          Array.from({ length: WORKERS }, async (_, w) => {
            for (let i = 0; i < TRANSACTIONS / 2; i++) {
              const withActor = i % 2 === 0;
              const writer = withActor ? `${label}-w${w}` : `${label}-none`;
              const write = () => dataSource.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2)`, [writer, i]);
              if (withActor) await context.run({ actor: ActorRef.user(writer) }, write);
              else await write();
            }
          }),
        );
        // no pooled connection kept a setting past its write
        const left = await Promise.all(
          Array.from({ length: WORKERS }, () =>
            dataSource.query(`SELECT coalesce(current_setting('threadline.actor_ref', true), '') AS actor`),
          ),
        );
        expect(new Set(left.map(([r]) => r.actor))).toEqual(new Set(['']));
      } finally {
        await app.close();
      }
      const [result] = await db.query<{ changes: number; mismatches: number; leaks: number }>(
        `SELECT count(*)::int AS changes,
              count(*) FILTER (WHERE c.data_after->>'writer' NOT LIKE '%-none' AND t.actor_ref IS DISTINCT FROM jsonb_build_object('type', 'user', 'id', c.data_after->>'writer'))::int AS mismatches,
              count(*) FILTER (WHERE c.data_after->>'writer' LIKE '%-none' AND t.actor_ref IS NOT NULL)::int AS leaks
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.data_after->>'writer' LIKE $1`,
        [`${label}-%`],
      );
      expect(result).toEqual({ changes: (WORKERS * TRANSACTIONS) / 2, mismatches: 0, leaks: 0 });
    },
    180_000,
  );

  it('sends a write outside a transaction and its settings in one round trip; a failed one leaves nothing', async () => {
    const logger = new RecordingLogger();
    const app = await boot(db.url, logger);
    const context = app.get(ThreadlineContext);
    const dataSource = app.get(DataSource);
    const inContext = <T>(work: () => Promise<T>) => context.run({ actor: ActorRef.user("o'brien") }, work);
    try {
      await db.query(`CREATE UNIQUE INDEX writes_unique_seq ON writes (writer, seq) WHERE writer = 'solo-rt'`);
      await inContext(() => dataSource.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2)`, ['solo-rt', 1]));
      const sent = logger.queries.filter((q) => /START TRANSACTION|set_config|INSERT INTO writes|COMMIT/.test(q));
      expect(sent).toEqual(['INSERT INTO writes (writer, seq) VALUES ($1, $2)']); // no START ... COMMIT around it
      // the same write again breaks the unique index: the error is the write's, and nothing of it is captured
      await expect(
        inContext(() => dataSource.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2)`, ['solo-rt', 1])),
      ).rejects.toThrow('duplicate key value violates unique constraint "writes_unique_seq"');
      // two writes at once on one query runner (one pooled connection): each goes out with its own settings
      const runner = dataSource.createQueryRunner();
      try {
        await context.run({ actor: ActorRef.user('runner-a') }, () =>
          Promise.all([
            runner.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2)`, ['solo-rt', 10]),
            context.run({ actor: ActorRef.user('runner-b') }, () =>
              runner.query(`INSERT INTO writes (writer, seq) VALUES ($1, $2)`, ['solo-rt', 11]),
            ),
          ]),
        );
      } finally {
        await runner.release();
      }
      // a leading comment (QueryBuilder.comment() writes one) still marks a write
      await inContext(() =>
        dataSource.query(`/* route=x */ -- tagged\n INSERT INTO writes (writer, seq) VALUES ($1, $2)`, ['solo-rt', 4]),
      );
      // a raw write without parameters may hold several statements: it still runs in a transaction of its own
      await inContext(() =>
        dataSource.query(
          `INSERT INTO writes (writer, seq) VALUES ('solo-rt', 2); INSERT INTO writes (writer, seq) VALUES ('solo-rt', 3)`,
        ),
      );
    } finally {
      await app.close();
      await db.query(`DROP INDEX writes_unique_seq`);
    }
    expect(
      await db.query(
        `SELECT c.data_after->>'seq' AS seq, t.actor_ref->>'id' AS actor
         FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
         WHERE c.data_after->>'writer' = 'solo-rt' ORDER BY c.id`,
      ),
    ).toEqual([
      { seq: '1', actor: "o'brien" },
      { seq: '10', actor: 'runner-a' },
      { seq: '11', actor: 'runner-b' },
      { seq: '4', actor: "o'brien" },
      { seq: '2', actor: "o'brien" },
      { seq: '3', actor: "o'brien" },
    ]);
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { PgBouncerHandle, startPgBouncer } from '@threadline/testing/pgbouncer';
import { PurgeResult, RetentionService, ThreadlineRetentionModule } from '../src';

/**
 * Two app instances purging through PgBouncer in transaction pooling mode, with one server connection: the
 * case a session advisory lock gets wrong, since the lock belongs to the server connection, and the second
 * instance's statement lands on the very connection that holds it (and is granted it again).
 */
describe('retention purge behind a transaction-pooling PgBouncer', () => {
  let db: TestDatabase;
  let bouncer: PgBouncerHandle;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    for (let i = 0; i < 20; i++) {
      await db.query(`WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, now() - interval '100 days') RETURNING id)
        INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
        SELECT id, 'public', 'items', 'insert', jsonb_build_object('id', ${i}), '{}', now() - interval '100 days' FROM t`);
    }
    bouncer = await startPgBouncer(db.url, 1);
  }, 180_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await bouncer?.stop();
    await db?.drop();
  });

  async function instance(): Promise<RetentionService> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: bouncer.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineRetentionModule.forRoot({ keepDays: 90, enabled: true }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    return app.get(RetentionService);
  }

  it("lets a second instance's purge in only after the first one's ends", async () => {
    const [first, second] = [await instance(), await instance()];
    let during: Promise<PurgeResult> | undefined;
    const summary = await first.purge({
      batchSize: 2,
      onBatch: (progress) => {
        if (progress.batch === 1) during = second.purge();
      },
    });
    expect(summary).toMatchObject({ status: 'completed', deletedChanges: 20 });
    expect(await during).toEqual({ status: 'busy', reason: expect.stringContaining('another purge is running') });
    expect(await second.purge()).toMatchObject({ status: 'completed', deletedChanges: 0 }); // released: free again
  });
});

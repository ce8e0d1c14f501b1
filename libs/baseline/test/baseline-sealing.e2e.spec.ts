import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineHealthModule } from '@threadline/health';
import { IntegrityService, ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { writeAuditedPosts as write } from '@threadline/testing/audited-posts';
import { BaselineService, ThreadlineBaselineModule } from '../src';

/** A baseline and the hash chain: the sealer takes a baseline's transactions only once it is complete. */
describe('baselines and sealing (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let integrity: IntegrityService;

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE posts (id serial PRIMARY KEY, title text)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineBaselineModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['posts'] })).up);
    integrity = app.get(IntegrityService);
    await write(db.url, 5);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  it('seals a baseline once it is complete, never while its snapshots are still being written', async () => {
    await db.query(`ALTER TABLE posts DISABLE TRIGGER USER;
      INSERT INTO posts (title) SELECT 'legacy ' || g FROM generate_series(1, 30) g;
      ALTER TABLE posts ENABLE TRIGGER USER`);
    const baselines = app!.get(BaselineService);
    expect(await baselines.baseline('posts', { execute: true, batchSize: 10, maxBatches: 1 })).toMatchObject({
      status: 'stopped',
    });
    const open = await integrity.verify();
    expect(open).toMatchObject({ ok: true, checked: 5, openBaselines: [{ table: 'public.posts' }] });
    await write(db.url, 1, 'between');
    expect(await baselines.baseline('posts', { execute: true, batchSize: 10 })).toMatchObject({ status: 'complete' });
    const done = await integrity.verify();
    expect(done).toMatchObject({ ok: true, sealedNow: 2, checked: 7, openBaselines: [] });
    const [seal] = await db.query<{ change_count: number }>(
      `SELECT s.change_count FROM audit_seals s JOIN audit_transactions t ON t.id = s.transaction_id WHERE t.source = 'threadline:baseline'`,
    );
    expect(seal.change_count).toBe(30);
  });
});

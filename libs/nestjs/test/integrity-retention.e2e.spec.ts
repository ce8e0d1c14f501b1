import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import {
  auditSchemaSql,
  CaptureService,
  ExportSeals,
  IntegrityService,
  RetentionService,
  ThreadlineModule,
} from '../src';

/** Retention and tamper evidence together: what remains after a purge stays verifiable. */
describe('the hash chain across a retention purge (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v int)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({
          capture: { tables: { items: {} } },
          retention: { keepDays: 30, enabled: true },
          health: {},
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['items'] })).up);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('records a checkpoint where the purge ended; verification after it passes and still catches tampering', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    for (let i = 1; i <= 10; i++) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${i}"}', true)`);
      await client.query(`INSERT INTO items VALUES (${i}, 0)`);
      await client.query(`UPDATE items SET v = 1 WHERE id = ${i}`);
      await client.query('COMMIT');
    }
    await client.end();
    // The first six transactions are older than the window.
    await db.query(
      `UPDATE audit_changes SET captured_at = now() - interval '40 days' WHERE table_pk->>'id' IN ('1','2','3','4','5','6')`,
    );
    const integrity = app.get(IntegrityService);
    const summary = await app.get(RetentionService).purge();
    expect(summary).toMatchObject({ status: 'completed', deletedChanges: 12, deletedTransactions: 6 });

    const report = await integrity.verify();
    // every seal is checked: the six the purge emptied are counted as purged, not skipped
    expect(report).toMatchObject({ ok: true, checked: 10, purged: 6, problemCount: 0, head: { seq: 10 } });
    expect(report.checkpoint).toMatchObject({ seq: 6, reason: 'retention purge' });
    expect(report.checkpoint!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

    const [kept] = await db.query<{ id: string }>(`SELECT transaction_id AS id FROM audit_seals WHERE seq = 8`);
    await db.query(`UPDATE audit_transactions SET actor_ref = '{"type":"admin","id":"cfo"}' WHERE id = $1`, [kept.id]);
    const tampered = await integrity.verify();
    expect(tampered.ok).toBe(false);
    expect(tampered.problems[0]).toMatchObject({ kind: 'altered', seq: 8, transactionId: kept.id });
  });

  it("cuts exports at the chain's true head, seal #10 and not #9 (numbers, not text)", async () => {
    const head = await app.get(ExportSeals).head();
    const [last] = await db.query<{ seq: string; chain: string }>(
      `SELECT seq::text, encode(chain_sha256, 'hex') AS chain FROM audit_seals ORDER BY seq DESC LIMIT 1`,
    );
    expect(last.seq).toBe('9'); // the text order the head once took
    const [max] = await db.query<{ seq: string; chain: string }>(
      `SELECT s.seq, encode(s.chain_sha256, 'hex') AS chain FROM audit_seals s ORDER BY s.seq DESC LIMIT 1`,
    );
    expect(head).toEqual({ seq: Number(max.seq), chain_sha256: max.chain });
    expect(head!.seq).toBe(10);
    expect(await app.get(ExportSeals).check(head!)).toBe('intact');
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { auditSchemaSql } from '@threadline/capture';
import { ExportSeals } from '@threadline/export';
import { CaptureService, IntegrityService, LegalHoldService, RetentionService, ThreadlineModule } from '../src';

/** Retention and tamper evidence together: what remains after a purge stays verifiable. */
describe('the hash chain across a retention purge (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(
      `CREATE TABLE items (id int PRIMARY KEY, v int); CREATE TABLE notes (id int PRIMARY KEY, body text)`,
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({
          capture: { tables: { items: {}, notes: {} } },
          retention: { keepDays: 30, enabled: true, tables: { notes: { keepDays: 1 } } },
          health: {},
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['items', 'notes'] })).up);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('records what the purge removed in the sealed ledger; verification after it passes and still catches tampering', async () => {
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
    // every seal is checked: the six the purge emptied are counted as purged, not skipped; the purge is seal #11
    expect(report).toMatchObject({ ok: true, checked: 11, purged: 6, problemCount: 0, head: { seq: 11 } });
    expect(report.checkpoint).toBeNull();
    expect(await db.query(`SELECT kind, change_count FROM audit_seals WHERE seq = 11`)).toEqual([
      { kind: 'purge', change_count: 6 },
    ]);

    const [kept] = await db.query<{ id: string }>(`SELECT transaction_id AS id FROM audit_seals WHERE seq = 8`);
    await db.query(`UPDATE audit_transactions SET actor_ref = '{"type":"admin","id":"cfo"}' WHERE id = $1`, [kept.id]);
    const tampered = await integrity.verify();
    expect(tampered.ok).toBe(false);
    expect(tampered.problems[0]).toMatchObject({ kind: 'altered', seq: 8, transactionId: kept.id });
    await db.query(`UPDATE audit_transactions SET actor_ref = '{"type":"user","id":"u8"}' WHERE id = $1`, [kept.id]);
    expect(await integrity.verify()).toMatchObject({ ok: true });
  });

  it('a per-table purge leaves the rest verifiable: an edit of a kept change of another table is reported', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    for (let i = 1; i <= 3; i++) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"n${i}"}', true)`);
      await client.query(`INSERT INTO notes VALUES (${i}, 'note ${i}')`);
      await client.query(`INSERT INTO items VALUES (${100 + i}, 0)`);
      await client.query('COMMIT');
    }
    await client.end();
    const integrity = app.get(IntegrityService);
    // notes keep 1 day: these three notes are older, the items beside them in the same transactions are not
    // (backdated before sealing: after it, the rewrite would itself be an edit of sealed changes)
    await db.query(`UPDATE audit_changes SET captured_at = now() - interval '2 days' WHERE table_name = 'notes'`);
    await integrity.seal();
    const [before] = await db.query<{ changes: string }>(
      `SELECT count(*)::text AS changes FROM audit_changes WHERE table_name = 'notes'`,
    );
    expect(before.changes).toBe('3');
    expect(await app.get(RetentionService).purge()).toMatchObject({ deletedChanges: 3, deletedTransactions: 0 });
    const report = await integrity.verify();
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, problemCount: 0, purged: 6 + 3 });
    const [kept] = await db.query<{ id: string; transaction_id: string }>(
      `SELECT id::text, transaction_id FROM audit_changes WHERE table_name = 'items' AND table_pk->>'id' = '102'`,
    );
    await db.query(`UPDATE audit_changes SET data_after = '{"id": 102, "v": 9}' WHERE id = $1`, [kept.id]);
    const tampered = await integrity.verify();
    expect(tampered.problems).toEqual([
      expect.objectContaining({ kind: 'altered', transactionId: kept.transaction_id }),
    ]);
    await db.query(`DELETE FROM audit_changes WHERE id = $1`, [kept.id]);
    expect((await integrity.verify()).problems).toEqual([
      expect.objectContaining({ kind: 'deleted', transactionId: kept.transaction_id }),
    ]);
  });

  it("cuts exports at the chain's true head, past #9 (numbers, not text)", async () => {
    const head = await app.get(ExportSeals).head();
    const [last] = await db.query<{ seq: string; chain: string }>(
      `SELECT seq::text, encode(chain_sha256, 'hex') AS chain FROM audit_seals ORDER BY seq DESC LIMIT 1`,
    );
    expect(last.seq).toBe('9'); // the text order the head once took
    const [max] = await db.query<{ seq: string; chain: string }>(
      `SELECT s.seq, encode(s.chain_sha256, 'hex') AS chain FROM audit_seals s ORDER BY s.seq DESC LIMIT 1`,
    );
    expect(head).toEqual({ seq: Number(max.seq), chain_sha256: max.chain });
    expect(head!.seq).toBeGreaterThanOrEqual(10);
    expect(await app.get(ExportSeals).check(head!)).toBe('intact');
  });
  it('a legal hold keeps its changes through a purge; the chain verifies after, catches an edit of a held change, and after the release', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    for (let i = 21; i <= 23; i++) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"h${i}"}', true)`);
      await client.query(`INSERT INTO notes VALUES (${i}, 'note ${i}')`);
      await client.query('COMMIT');
    }
    await client.end();
    await db.query(`UPDATE audit_changes SET captured_at = now() - interval '2 days' WHERE table_name = 'notes'`);
    const integrity = app.get(IntegrityService);
    await integrity.seal();
    // what the tests above left (a deleted change they report): this test adds no problem of its own
    const before = (await integrity.verify()).problems;
    const holds = app.get(LegalHoldService);
    const hold = await holds.hold({ filters: { table: 'notes', key: { id: 22 } }, reason: 'case 9', heldBy: 'legal' });
    expect(await app.get(RetentionService).purge()).toMatchObject({ deletedChanges: 2, deletedTransactions: 2 });
    const [held] = await db.query<{ id: string; transaction_id: string }>(
      `SELECT id::text, transaction_id FROM audit_changes WHERE table_name = 'notes'`,
    );
    expect((await integrity.verify()).problems).toEqual(before);
    await db.query(`UPDATE audit_changes SET data_after = '{"id": 22, "body": "forged"}' WHERE id = $1`, [held.id]);
    expect((await integrity.verify()).problems).toEqual([
      ...before,
      expect.objectContaining({ kind: 'altered', transactionId: held.transaction_id }),
    ]);
    await db.query(`UPDATE audit_changes SET data_after = '{"id": 22, "body": "note 22"}' WHERE id = $1`, [held.id]);
    expect((await integrity.verify()).problems).toEqual(before);
    await holds.release(hold.id, { reason: 'closed', releasedBy: 'legal' });
    expect(await app.get(RetentionService).purge()).toMatchObject({ deletedChanges: 1, deletedTransactions: 1 });
    expect((await integrity.verify()).problems).toEqual(before);
  });
});

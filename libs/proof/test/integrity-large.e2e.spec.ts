import { auditSchemaSql } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { readFileSync } from 'fs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { IntegrityService } from '../src';

/** Peak resident memory of a process, from /proc (kB). */
function peakKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(line!.replace(/\D+/g, ''));
}

/**
 * One transaction of 1.1 GB of images: the format 1 seal built one text of
 * all of them and failed on every call past PostgreSQL's 1 GB limit, so
 * sealing stopped for good. Run on the embedded server only (it reads the
 * sealing backend's memory from /proc, and once is enough: about 30 s).
 */
describe('sealing a transaction over 1 GB of images (real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
  });
  afterEach(async () => {
    await db.drop();
  });

  (process.env.TEST_DATABASE_URL ? it.skip : it)(
    'seals and verifies it in bounded memory, on the server and in the app',
    async () => {
      await db.query(`CREATE TABLE blobs (id int PRIMARY KEY, body text);
        SELECT threadline_capture('public', 'blobs', 'threadline_audit_blobs', '{}')`);
      await db.query(`INSERT INTO blobs SELECT g, repeat(chr(65 + g % 26), 1000000) FROM generate_series(1, 1100) g`);
      const [{ bytes }] = await db.query<{ bytes: string }>(
        `SELECT sum(octet_length(data_after::text))::text AS bytes FROM audit_changes`,
      );
      expect(Number(bytes)).toBeGreaterThan(1024 ** 3);
      const sealer = new Client({ connectionString: db.url });
      await sealer.connect();
      try {
        const pid = (await sealer.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid as number;
        const before = peakKb(pid);
        const { rows } = await sealer.query(`SELECT sealed, pending FROM threadline_seal()`);
        expect(rows[0]).toEqual({ sealed: 1, pending: false });
        // the images are hashed one at a time: the backend's peak grows by far less than their size
        expect(peakKb(pid) - before).toBeLessThan(256 * 1024);
      } finally {
        await sealer.end();
      }
      const dataSource = new DataSource({ type: 'postgres', url: db.url });
      await dataSource.initialize();
      try {
        const rss = process.memoryUsage().rss;
        const report = await new IntegrityService(dataSource).verify();
        expect(report).toMatchObject({ ok: true, checked: 1, problemCount: 0 });
        expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
        await db.query(
          `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{body}', '"forged"') WHERE id = 500`,
        );
        expect((await new IntegrityService(dataSource).verify()).problems).toEqual([
          expect.objectContaining({ kind: 'altered', seq: 1 }),
        ]);
      } finally {
        await dataSource.destroy();
      }
    },
    300_000,
  );

  (process.env.TEST_DATABASE_URL ? it.skip : it)(
    'keeps sealing past a change whose text form is over 1 GB (a 185 MB value of control characters), and verifies it',
    async () => {
      await db.query(`CREATE TABLE notes (id int PRIMARY KEY, body text);
        SELECT threadline_capture('public', 'notes', 'threadline_audit_notes', '{}')`);
      // jsonb writes chr(1) as \u0001: six bytes a character, 1.1 GB of text for this one value
      await db.query(`INSERT INTO notes VALUES (1, repeat(chr(1), 185000000))`);
      await db.query(`INSERT INTO notes VALUES (2, 'an ordinary note')`);
      const dataSource = new DataSource({ type: 'postgres', url: db.url });
      await dataSource.initialize();
      try {
        const integrity = new IntegrityService(dataSource);
        const report = await integrity.verify();
        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({ ok: true, sealedNow: 2 });
        // the large one in format 3, value by value; the next one as usual
        const formats = await db.query<{ note: string; format: number }>(
          `SELECT c.table_pk->>'id' AS note, s.format FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id
           WHERE c.table_name = 'notes' ORDER BY 1`,
        );
        expect(formats).toEqual([
          { note: '1', format: 3 },
          { note: '2', format: 2 },
        ]);
        await db.query(
          `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{body}', to_jsonb(repeat(chr(2), 185000000))) WHERE table_name = 'notes' AND table_pk->>'id' = '1'`,
        );
        expect((await integrity.verify()).problems).toEqual([expect.objectContaining({ kind: 'altered' })]);
      } finally {
        await dataSource.destroy();
      }
    },
    300_000,
  );
});

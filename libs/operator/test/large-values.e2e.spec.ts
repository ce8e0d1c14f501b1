import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineActorModule } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, describeOnOneMajor, initOrClose, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { ThreadlineOperatorModule } from '../src';

const ROWS = 40;
/** Each row's value: 500,000 characters that every layer escapes (`"` and `<`), so each stored byte grows on a page. */
const VALUE_SQL = `repeat('"<', 250000)`;
const MB = 1024 * 1024;

/**
 * Rows of large values, written by the app's own users, must not let one auditor's request hold them all: pages
 * used to be capped by a count of changes only, so 100 rows of 2 MB values made one page request end the process
 * (out of memory). Every route and page now holds at most PAGE_MAX_BYTES (4 MiB) of change JSON and as much again
 * of previous images, and pages on from where it stopped.
 */
// Slow (about 25 s): run on one PostgreSQL major; page-bytes.e2e in @threadline/query checks the SQL on both.
describeOnOneMajor('pages of large stored values (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let inserted: string;
  let shrunk: string;
  const get = (url: string, query: Record<string, string> = {}) =>
    request(app.getHttpServer()).get(url).query(query).set('x-role', 'auditor');

  /** Every change of a transaction through the JSON route, following nextCursor: the pages and each page's size. */
  async function walk(tx: string) {
    const ids: number[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await get(`/audit/transactions/${tx}/changes`, cursor ? { cursor } : {}).expect(
        200,
      );
      sizes.push(res.text.length);
      ids.push(...res.body.changes.map((c: { table_pk: { id: number } }) => c.table_pk.id));
      cursor = res.body.nextCursor;
      if (sizes.length === 1) expect(res.body.changes[0].diff.fields.v).toBeDefined();
    } while (cursor);
    return { ids, sizes };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v text)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: {} } }),
        ThreadlineActorModule.forRoot({}),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineExportModule,
        ThreadlineOperatorModule.forRoot({ authorize: (req: Request) => req.header('x-role') === 'auditor' }),
      ],
    }).compile();
    app = await initOrClose(moduleRef.createNestApplication({ logger: false }));
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
    await db.query(`INSERT INTO items SELECT g, ${VALUE_SQL} FROM generate_series(1, ${ROWS}) g`);
    // each change is small, but the "before" it shows (the row's previous image) is not
    await db.query(`UPDATE items SET v = ''`);
    const txs: { id: string }[] = await db.query(`SELECT id FROM audit_transactions ORDER BY occurred_at, id`);
    [inserted, shrunk] = txs.map((t) => t.id);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('a transaction route holds a few large changes a page, and its cursors reach every one once', async () => {
    const { ids, sizes } = await walk(inserted);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(sizes.length).toBeGreaterThan(4); // not one page of 40 values (60 MB of JSON)
    for (const size of sizes) expect(size).toBeLessThan(12 * MB); // change and diff: twice the budget and one change
  });

  it('a page of changes whose "before" values are large ends where their images stop fitting', async () => {
    const { ids, sizes } = await walk(shrunk);
    expect(new Set(ids).size).toBe(ROWS);
    expect(ids).toHaveLength(ROWS);
    expect(sizes.length).toBeGreaterThan(4);
    for (const size of sizes) expect(size).toBeLessThan(12 * MB);
    const first = await get(`/audit/transactions/${shrunk}/changes`).expect(200);
    expect(first.body.changes[0].diff.fields.v).toEqual({
      before: '"<'.repeat(250000),
      after: '',
      before_from_previous_image: true,
    });
  });

  it('a page cuts one huge value, saying so, while the JSON route keeps it whole', async () => {
    // 3 million quotes: 6 million characters of JSON, about 42 MB once escaped for HTML (at 25 million the page
    // outgrew V8's largest string and hung the process)
    await db.query(`INSERT INTO items VALUES (999, repeat('"', 3000000))`);
    const [{ id: tx }] = await db.query(
      `SELECT transaction_id AS id FROM audit_changes WHERE table_pk = '{"id": 999}' ORDER BY id DESC LIMIT 1`,
    );
    for (const url of [`/audit/transactions/${tx}`, '/audit/history']) {
      const page = await get(url, url === '/audit/history' ? { table: 'items', key: '{"id":999}' } : {})
        .set('accept', 'text/html')
        .expect(200);
      expect(page.text.length).toBeLessThan(2 * MB);
      expect(page.text).toContain(
        `${6000002 - 100000} more characters not shown here: the JSON route and the exports hold the whole value`,
      );
    }
    const json = await get(`/audit/transactions/${tx}/changes`).expect(200);
    expect(json.body.changes[0].data_after.v).toBe('"'.repeat(3000000));
    // the exports carry it whole too: one line arriving in about a hundred COPY chunks (once searched from its start
    // for each chunk), and in CSV 6 million doubled quotes (csv-stringify's callback per quote held the loop 2 s)
    const exported = (format: string) =>
      get('/audit/export', { format, transaction: tx as string })
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        })
        .expect(200);
    const ndjson = (await exported('ndjson')).body as string;
    expect(JSON.parse(ndjson.trim()).data_after.v).toBe('"'.repeat(3000000));
    const [row] = parse((await exported('csv')).body as string, { columns: true }) as Record<string, string>[];
    expect(JSON.parse(row.data_after).v).toBe('"'.repeat(3000000));
  });

  it('the transaction page, the timeline and a record history stay small and link to the rest', async () => {
    for (const url of [`/audit/transactions/${inserted}`, `/audit/transactions/${shrunk}`, '/audit/timeline']) {
      const page = await get(url, url === '/audit/timeline' ? { limit: '1000' } : {})
        .set('accept', 'text/html')
        .expect(200);
      expect(page.text.length).toBeLessThan(40 * MB); // 40 values escaped for HTML would be 110 MB and more
      expect(page.text).toContain('rel="next"');
    }
    await db.query(`UPDATE items SET v = ${VALUE_SQL} WHERE id = 7`);
    for (let n = 0; n < 10; n++) await db.query(`UPDATE items SET v = v || 'x' WHERE id = 7`);
    const history = await get('/audit/history', { table: 'items', key: '{"id":7}', limit: '1000' }).expect(200);
    expect(history.body.changes.length).toBeLessThan(12);
    expect(history.body.nextCursor).not.toBeNull();
    const page = await get('/audit/history', { table: 'items', key: '{"id":7}', limit: '1000' })
      .set('accept', 'text/html')
      .expect(200);
    expect(page.text.length).toBeLessThan(40 * MB);
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineActorModule } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { encodeCursor } from '@threadline/query';
import { ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, describeOnOneMajor, initOrClose, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import request from 'supertest';
import { ThreadlineOperatorModule } from '../src';

const CHANGES = 100_000;
const TX = '0f0e0d0c-0b0a-4909-8807-060504030201';

/**
 * One import of 100,000 rows in one audit transaction: its page, its JSON route and its export read it a keyset
 * page at a time (they used to load every image into Node at once; with 40 kB rows the app died at 4 GB). Peak
 * memory is measured by `npm run bench` (query-export-bench, `transaction_*` lines).
 */
describeOnOneMajor(`a transaction of ${CHANGES.toLocaleString('en')} changes (real PostgreSQL)`, () => {
  let db: TestDatabase;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase();
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
    await db.query(app.get(CaptureService).installSql().up);
    await db.query(`INSERT INTO audit_transactions (id, txid, actor_ref, source)
      VALUES ('${TX}', 42, '{"type":"system","id":"import"}', 'import')`);
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT '${TX}', 'public', 'items', 'insert', jsonb_build_object('id', g), jsonb_build_object('id', g, 'note', repeat('n', 200))
      FROM generate_series(1, ${CHANGES}) g`);
    await db.query('VACUUM ANALYZE audit_changes');
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('the JSON route answers a page at a time and its cursors walk every change once', async () => {
    const first = await http().get(`/audit/transactions/${TX}/changes`).set('x-role', 'auditor').expect(200);
    expect(first.body.changes).toHaveLength(1000); // not all 100,000
    expect(first.body.changes[0].table_pk).toEqual({ id: CHANGES }); // newest first
    expect(first.body.changes[0].diff.fields.note.after).toBe('n'.repeat(200));
    expect(first.body.previousCursor).toBeNull();
    const seen = new Set<number>(first.body.changes.map((c: { table_pk: { id: number } }) => c.table_pk.id));
    let cursor: string | null = first.body.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = await http()
        .get(`/audit/transactions/${TX}/changes`)
        .query({ cursor, limit: 1000 })
        .set('x-role', 'auditor')
        .expect(200);
      for (const c of page.body.changes as { table_pk: { id: number } }[]) {
        expect(seen.has(c.table_pk.id)).toBe(false);
        seen.add(c.table_pk.id);
      }
      cursor = page.body.nextCursor;
      pages++;
    }
    expect({ pages, seen: seen.size }).toEqual({ pages: 100, seen: CHANGES });
  }, 300_000);

  it('the page shows 100 changes with next and previous pages, and exports every change', async () => {
    const page = await http().get(`/audit/transactions/${TX}`).set('x-role', 'auditor').set('accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text.match(/<section class="bucket"/g)).toHaveLength(100);
    expect(page.text).toContain('100 changes on this page');
    expect(page.text).not.toContain('rel="prev"');
    const next = /<a class="button" rel="next" href="([^"]+)"/.exec(page.text)![1].replace(/&amp;/g, '&');
    expect(next).toMatch(new RegExp(`^/audit/transactions/${TX}\\?cursor=`));
    const second = await http().get(next).set('x-role', 'auditor').set('accept', 'text/html').expect(200);
    expect(second.text).toContain(`{&quot;id&quot;:${CHANGES - 100}}`);
    expect(second.text).not.toContain(`{&quot;id&quot;:${CHANGES}}`);
    const previous = /<a class="button" rel="prev" href="([^"]+)"/.exec(second.text)![1].replace(/&amp;/g, '&');
    const back = await http().get(previous).set('x-role', 'auditor').set('accept', 'text/html').expect(200);
    expect(back.text).toContain(`{&quot;id&quot;:${CHANGES}}`);

    // a cursor past the last change: an empty page that says so, not "unknown transaction"
    const past = await http()
      .get(`/audit/transactions/${TX}`)
      .query({ cursor: encodeCursor('1970-01-01T00:00:00Z', '1') })
      .set('x-role', 'auditor')
      .set('accept', 'text/html')
      .expect(200);
    expect(past.text).toContain('the cursor is past its last change');

    const exportHref = /href="([^"]*\/export\?[^"]*format=ndjson[^"]*)"/.exec(page.text)![1].replace(/&amp;/g, '&');
    expect(exportHref).toBe(`/audit/export?transaction=${TX}&format=ndjson&maxRows=1000000`);
    const all = await http().get(exportHref).set('x-role', 'auditor').expect(200);
    const lines = all.text.trim().split('\n');
    expect(lines).toHaveLength(CHANGES);
    expect(new Set(lines.map((l) => JSON.parse(l).transaction_id))).toEqual(new Set([TX]));
  }, 300_000);

  it.each([
    [`/audit/transactions/${TX}/changes?cursor=abc`, 'cursor is not one this API returned'],
    [`/audit/transactions/${TX}/changes?limit=5000`, 'limit must not be greater than 1000'],
    [`/audit/transactions/not-a-uuid/changes`, 'transaction id must be a UUID (got "not-a-uuid")'],
    [`/audit/export?format=csv&transaction=123`, 'transaction must be a UUID (got "123")'],
    [`/audit/timeline?transaction=${TX}&cursor=x&before=y`, 'pass cursor or before, not both'],
  ])('%s is a 400 naming the problem', async (url, message) => {
    const res = await http().get(url).set('x-role', 'auditor').expect(400);
    expect(res.body.message).toContain(message);
    expect(res.headers['content-disposition']).toBeUndefined();
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import { AuditChange, AuditQueryService, encodeCursor, InvalidPageError, Page, ThreadlineQueryModule } from '../src';

const ROWS = 12;
const VALUE = 10_000; // characters of each row's value: a change's JSON is a little over this
const BUDGET = 32 * 1024; // room for three such changes, not four

/**
 * A page holds at most `maxBytes` of change JSON (and as much again of previous images), measured by PostgreSQL
 * before anything reaches Node: large stored values once made one auditor's request hold gigabytes and end the app.
 */
describe('pages bounded by bytes (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;
  const ids = (page: Page<AuditChange>) => page.changes.map((c) => (c.table_pk as { id: number }).id);
  const bytes = (page: Page<AuditChange>) => page.changes.reduce((n, c) => n + JSON.stringify(c).length, 0);

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v text)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: {} } }),
        ThreadlineQueryModule,
      ],
    }).compile();
    app = await initOrClose(moduleRef.createNestApplication({ logger: false }));
    await db.query((await app.get(CaptureService).triggerSql()).up);
    // one row per statement: each its own change, ids 1..ROWS oldest first; compressible values (PostgreSQL stores
    // them small, so only the rendered size can bound a page)
    for (let id = 1; id <= ROWS; id++) await db.query(`INSERT INTO items VALUES ($1, repeat('x', ${VALUE}))`, [id]);
    queries = app.get(AuditQueryService);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('ends a page at the byte budget and its cursors walk every change once, both ways', async () => {
    const seen: number[] = [];
    let page = await queries.timeline({ table: 'items' }, { limit: 1000, maxBytes: BUDGET });
    const pages = [page];
    expect(ids(page)).toEqual([12, 11, 10]);
    for (;;) {
      expect(bytes(page)).toBeLessThanOrEqual(BUDGET);
      seen.push(...ids(page));
      if (!page.nextCursor) break;
      page = await queries.timeline({ table: 'items' }, { limit: 1000, maxBytes: BUDGET, cursor: page.nextCursor });
      pages.push(page);
    }
    expect(seen).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // and back: `before` reads the budget's worth just newer, so the previous pages are the same ones
    const back: number[] = [];
    let cursor = pages[pages.length - 1].previousCursor;
    while (cursor) {
      const previous = await queries.timeline({ table: 'items' }, { limit: 1000, maxBytes: BUDGET, before: cursor });
      expect(bytes(previous)).toBeLessThanOrEqual(BUDGET);
      back.unshift(...ids(previous));
      cursor = previous.previousCursor ?? null;
    }
    expect([...back, ...ids(pages[pages.length - 1])]).toEqual(seen);
  });

  it('a change larger than the budget still fills a page on its own, and the page after it goes on', async () => {
    await db.query(`UPDATE items SET v = repeat('y', ${BUDGET * 2}) WHERE id = 1`);
    const page = await queries.timeline({ table: 'items' }, { limit: 1000, maxBytes: BUDGET });
    expect(page.changes).toHaveLength(1);
    expect(page.changes[0].data_after).toEqual({ id: 1, v: 'y'.repeat(BUDGET * 2) });
    const next = await queries.timeline(
      { table: 'items' },
      { limit: 1000, maxBytes: BUDGET, cursor: page.nextCursor! },
    );
    expect(ids(next)).toEqual([12, 11, 10]);
  });

  it('bounds a row history and the previous images a page reads, cutting the page where the images stop', async () => {
    // updates that shrink the row: each change is small, but its previous image (what "before" shows) is not
    for (let n = 0; n < 6; n++) {
      await db.query(`UPDATE items SET v = repeat('z', ${VALUE}) WHERE id = 2`);
      await db.query(`UPDATE items SET v = '' WHERE id = 2`);
    }
    const history = await queries.historyPage('items', { id: 2 }, { limit: 1000, maxBytes: BUDGET });
    expect(history.changes.length).toBeLessThan(13);
    expect(bytes(history)).toBeLessThanOrEqual(BUDGET);
    const small = await queries.timeline({ table: 'items', op: 'update' }, { limit: 4 });
    expect(small.changes.map((c) => c.data_after?.v)).toEqual(['', 'z'.repeat(VALUE), '', 'z'.repeat(VALUE)]);
    const { page, previous } = await queries.withPreviousImages(
      await queries.timeline({ table: 'items', op: 'update' }, { limit: 12 }),
      BUDGET,
    );
    // each shrinking update reads a 10 kB image and each growing one a tiny one: three big images fit the budget, a
    // fourth does not, so the page ends before the fourth shrinking update, and its next page starts right there
    expect(page.changes.map((c) => String(c.data_after?.v).length)).toEqual([0, VALUE, 0, VALUE, 0, VALUE]);
    expect(page.changes.every((c) => previous.has(c.id))).toBe(true);
    expect(previous.get(page.changes[0].id)).toEqual({ id: 2, v: 'z'.repeat(VALUE) });
    const rest = await queries.timeline({ table: 'items', op: 'update' }, { limit: 1, cursor: page.nextCursor! });
    expect(rest.changes[0].data_after?.v).toBe('');
  });

  it('cuts a page read backwards at the end away from its cursor, so paging back still reaches every change', async () => {
    const updates = (await queries.timeline({ table: 'items', op: 'update' }, { limit: 1000 })).changes;
    const oldest = updates[updates.length - 1]; // the update of row 1, before row 2's twelve
    const seen: string[] = [];
    let before: string | null | undefined = encodeCursor(oldest.captured_at, oldest.id);
    let pages = 0;
    while (before) {
      const read = await queries.timeline({ table: 'items', op: 'update' }, { limit: 12, before });
      const { page, previous } = await queries.withPreviousImages(read, BUDGET, 'newer');
      const imageBytes = page.changes.reduce((n, c) => n + JSON.stringify(previous.get(c.id) ?? null).length, 0);
      expect(imageBytes).toBeLessThanOrEqual(BUDGET);
      expect(page.changes.every((c) => previous.has(c.id))).toBe(true);
      seen.unshift(...page.changes.map((c) => c.id));
      before = page.previousCursor;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(updates.slice(0, -1).map((c) => c.id));
  });

  it("bounds the actions (the 'why') a page shows with its changes; each transaction keeps its total", async () => {
    // 8 transactions of 3 actions, each with a reason of 10,000 characters: 24 actions, about 240 KB
    const txs: string[] = [];
    for (let t = 0; t < 8; t++) {
      // one statement, so one transaction: three actions, oldest first
      const actions: { id: string }[] = await db.query(
        `SELECT (threadline_record_action('why', '{"type":"user","id":"7"}', 'ok', NULL, NULL, repeat(v.c, ${VALUE}), NULL, NULL, NULL, NULL)).id::text AS id
           FROM (VALUES (1, 'r'), (2, 's'), (3, 't')) AS v(n, c) ORDER BY v.n`,
      );
      const [{ id }] = await db.query(
        `SELECT DISTINCT transaction_id::text AS id FROM audit_actions WHERE id = ANY ($1::uuid[])`,
        [actions.map((a) => a.id)],
      );
      txs.push(id as string);
    }
    const all = await queries.actionsOf(txs, 5);
    expect([...all.values()].map((a) => [a.actions.length, a.total])).toEqual(Array(8).fill([3, 3]));
    const cut = await queries.actionsOf(txs, 5, BUDGET);
    const shown = [...cut.values()].flatMap((a) => a.actions);
    expect(JSON.stringify(shown).length).toBeLessThanOrEqual(BUDGET);
    // in the order asked for (a history page's, newest first), oldest first within a transaction: the first
    // transaction's three, then the budget is spent
    expect(shown.map((a) => a.reason![0])).toEqual(['r', 's', 't']);
    expect(shown.map((a) => a.transaction_id)).toEqual([txs[0], txs[0], txs[0]]);
    const reversed = await queries.actionsOf([...txs].reverse(), 5, BUDGET);
    expect([...reversed.values()].flatMap((a) => a.actions).map((a) => a.transaction_id)).toEqual(
      Array(3).fill(txs[7]),
    );
    // every transaction is still there with its total: the page says how many it does not show
    expect(cut.size).toBe(8);
    expect([...cut.values()].every((a) => a.total === 3)).toBe(true);
    // one action larger than the budget is still shown on its own
    const one = await queries.actionsOf(txs.slice(0, 1), 5, 1024);
    expect(one.get(txs[0])!.actions.map((a) => a.reason!.length)).toEqual([VALUE]);
    await expect(queries.actionsOf(txs, 5, 10)).rejects.toThrow('maxBytes must be an integer from 1024');
  });

  it('refuses a budget it cannot keep, naming the range', async () => {
    for (const maxBytes of [0, 1023, 64 * 1024 * 1024 + 1, 1.5, Number.NaN, '4096' as unknown as number])
      await expect(queries.timeline({}, { maxBytes })).rejects.toThrow(InvalidPageError);
    await expect(queries.timeline({}, { maxBytes: 10 })).rejects.toThrow(
      'maxBytes must be an integer from 1024 to 67108864 (got 10)',
    );
    await expect(queries.previousImages([], 10)).rejects.toThrow('maxBytes must be an integer from 1024');
  });
});

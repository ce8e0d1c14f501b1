import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActorRef, ThreadlineActorModule, ThreadlineContext } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { AuditQueryService } from '@threadline/query';
import { ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineProofModule } from '@threadline/proof';
import { launchChromium } from '@threadline/testing/browser';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { ThreadlineOperatorModule } from '../src';

const BIG_KEY = '9007199254740993'; // 2^53 + 1: JSON.parse reads it as ...992
const AMOUNT = '12345678901234567.12345678'; // JSON.parse: 12345678901234568
const KEY = `{"id":${BIG_KEY}}`;

/**
 * Values leave the library exactly as stored: numeric digits and scale,
 * bigint keys past 2^53, a float's NaN and Infinity, microseconds, on the JSON routes,
 * the query API and the pages (in Chromium).
 */
describe('values exactly as stored, on every surface (real PostgreSQL, headless Chromium)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  let transactionId: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric(30,8), price numeric(10,2), special float8,
                    at timestamptz)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { ledger: {} } }),
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
    const context = app.get(ThreadlineContext);
    await context.transaction(ActorRef.user('1'), (m) =>
      m.query(`INSERT INTO ledger VALUES (${BIG_KEY}, ${AMOUNT}, 100.00, 'NaN', '2026-01-31 12:34:56.123456+00')`),
    );
    transactionId = await context.transaction(ActorRef.user('1'), async (m) => {
      await m.query(`UPDATE ledger SET price = 120.00, special = 'Infinity' WHERE id = ${BIG_KEY}`);
      const [row] = await m.query(`SELECT current_setting('threadline.transaction_id') AS cached`);
      return String(row.cached).split('/')[1];
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('the JSON routes write every number with its stored digits, and find a row by a key past 2^53', async () => {
    const timeline = await http().get('/audit/timeline?table=public.ledger').set('x-role', 'auditor').expect(200);
    expect(timeline.headers['content-type']).toMatch(/^application\/json/);
    expect(timeline.text).toContain(`"amount":${AMOUNT}`);
    expect(timeline.text).toContain('"price":100.00');
    expect(timeline.text).toContain('"price":120.00');
    expect(timeline.text).toContain(`"table_pk":{"id":${BIG_KEY}}`);
    expect(timeline.text).toContain('"special":"NaN"');
    expect(timeline.text).toContain('"special":"Infinity"');
    expect(timeline.text).toContain('"at":"2026-01-31T12:34:56.123456+00:00"');
    const history = await http()
      .get(`/audit/history?table=public.ledger&key=${encodeURIComponent(KEY)}`)
      .set('x-role', 'auditor')
      .expect(200);
    expect(history.text).toContain(`"key":{"id":${BIG_KEY}}`);
    expect(JSON.parse(history.text).changes.map((c: { op: string }) => c.op)).toEqual(['update', 'insert']);
    const diff = await http().get(`/audit/transactions/${transactionId}/changes`).set('x-role', 'auditor').expect(200);
    // "before" comes from the previous image, with its stored digits too
    expect(diff.text).toContain('"fields":{"price":{"before":100.00,"before_from_previous_image":true,"after":120.00}');
  });

  it('the query API hands on the stored digits (String() of a number gives them)', async () => {
    const queries = app.get(AuditQueryService);
    const state = (await queries.asOf('public.ledger', { id: BIG_KEY }, new Date())) as Record<string, unknown>;
    expect(String(state.amount)).toBe(AMOUNT);
    expect(String(state.price)).toBe('120.00');
    expect(String(state.id)).toBe(BIG_KEY);
    const [latest] = (await queries.timeline({ table: 'public.ledger' })).changes;
    expect(String(latest.data_after!.price)).toBe('120.00');
    expect(String(latest.table_pk.id)).toBe(BIG_KEY);
  });

  it('the pages show the stored digits: history, transaction and timeline, in a browser', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const context = await browser.newContext({ extraHTTPHeaders: { 'x-role': 'auditor', accept: 'text/html' } });
      const page = await context.newPage();
      await page.goto(`${base}/audit/history?table=public.ledger&key=${encodeURIComponent(KEY)}`);
      const historyText = await page.locator('main').innerText();
      expect(historyText).toContain(AMOUNT);
      expect(historyText).toContain(BIG_KEY);
      expect(historyText).toMatch(/price:\s*100\.00\s*→\s*120\.00/);
      await page.goto(`${base}/audit/transactions/${transactionId}`);
      expect(await page.locator('main').innerText()).toMatch(/price\s+100\.00 \(previous image\)\s+120\.00/);
      await page.goto(`${base}/audit/timeline?table=public.ledger`);
      const timelineText = await page.locator('main').innerText();
      expect(timelineText).toMatch(/100\.00\s*→\s*120\.00/);
      expect(timelineText).toContain(BIG_KEY);
      expect(timelineText).not.toContain('12345678901234568');
    } finally {
      await browser?.close();
    }
  }, 600_000);
});

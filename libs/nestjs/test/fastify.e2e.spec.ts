import { CanActivate, Controller, ExecutionContext, Get, Injectable, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { launchChromium, seriousAxeViolations } from '@threadline/testing/browser';
import { parse } from 'csv-parse/sync';
import { createHash } from 'crypto';
import { get, IncomingHttpHeaders } from 'http';
import { AddressInfo } from 'net';
import { DataSource, EntitySchema } from 'typeorm';
import { ActorRef, CaptureService, ThreadlineCoverageIndicator, ThreadlineModule } from '../src';

/** What the app's guards and the resolver read: Fastify's request, which Passport-style guards decorate. */
interface AppRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: { id: string; role: string };
}

@Injectable()
class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AppRequest>();
    const user = req.headers['x-user'];
    if (typeof user === 'string') req.user = { id: user, role: user === 'auditor' ? 'auditor' : 'member' };
    return true;
  }
}

@Controller()
class AppController {
  constructor(
    private readonly db: DataSource,
    private readonly health: HealthCheckService,
    private readonly coverage: ThreadlineCoverageIndicator,
  ) {}

  @Post('people')
  async create() {
    await this.db.query(`INSERT INTO people (name, ssn) VALUES ('Ada', '123-45-6789')`);
    await this.db.getRepository('people').delete({ name: 'Nobody' });
    return { ok: true };
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.coverage.isHealthy()]);
  }
}

/** GET over a real socket, so headers, trailers and the body arrive as a client sees them. */
function fetchRaw(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: string }>(
    (resolve, reject) => {
      get({ host: '127.0.0.1', port, path, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            trailers: res.trailers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
        res.on('error', reject);
      }).on('error', reject);
    },
  );
}

describe('a Fastify app with the whole of ThreadlineModule', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let port: number;
  const HTML = { accept: 'text/html', 'x-user': 'auditor' };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE people (id serial PRIMARY KEY, name text, ssn text)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          retryAttempts: 0,
          entities: [
            new EntitySchema({
              name: 'people',
              columns: {
                id: { type: Number, primary: true, generated: true },
                name: { type: String },
                ssn: { type: String },
              },
            }),
          ],
        }),
        TerminusModule,
        ThreadlineModule.forRoot({
          capture: { tables: { people: { mask: ['ssn'] } } },
          health: { expectedTables: ['people'] },
          actor: {
            resolveActor: (req) => {
              const user = (req as unknown as AppRequest).user;
              return user ? ActorRef.user(user.id) : null;
            },
          },
          operator: { authorize: (req) => (req as unknown as AppRequest).user?.role === 'auditor' },
        }),
      ],
      controllers: [AppController],
      providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }], // app-wide, as Passport's usually is
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('attributes and masks writes, including repository.delete outside any transaction', async () => {
    const res = await app.inject({ method: 'POST', url: '/people', headers: { 'x-user': 'u1' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-correlation-id']).toEqual(expect.any(String));
    const rows = await db.query(
      `SELECT t.actor_ref, c.data_after->>'ssn' AS ssn FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id`,
    );
    expect(rows).toEqual([{ actor_ref: { type: 'user', id: 'u1' }, ssn: '[REDACTED]' }]);
  });

  it('answers a hostile request id with a 400 naming the header, not a 500', async () => {
    const res = await app.inject({ method: 'POST', url: '/people', headers: { 'x-request-id': 'x'.repeat(5000) } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('x-request-id must be a non-empty id');
  });

  it('serves the operator pages with their protective headers, and JSON to API clients', async () => {
    const page = await fetchRaw(port, '/audit/timeline', HTML);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('public.people');
    expect(page.body).not.toContain('123-45-6789');
    const json = await fetchRaw(port, '/audit/timeline', { 'x-user': 'auditor' });
    expect(json.headers['content-type']).toContain('application/json');
    expect(JSON.parse(json.body).changes).toHaveLength(1);
    const coverage = await fetchRaw(port, '/audit/coverage', HTML);
    expect(coverage.status).toBe(200);
    expect(coverage.body).toContain('people');
  });

  it('refuses in the same shapes as under Express: 403 without authorize, 400 naming the bad parameter', async () => {
    const forbidden = await fetchRaw(port, '/audit/timeline', { 'x-user': 'u1' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['content-security-policy']).toContain("default-src 'none'");
    expect(JSON.parse(forbidden.body)).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    const bad = await fetchRaw(port, '/audit/timeline?op=drop', { 'x-user': 'auditor' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.parse(bad.body).message).toContain('op');
    const badPage = await fetchRaw(port, '/audit/timeline?since=yesterday', HTML);
    expect(badPage.status).toBe(400);
    expect(badPage.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('streams an export with its manifest headers and trailers', async () => {
    const res = await fetchRaw(port, '/audit/export?format=csv&table=people', { 'x-user': 'auditor' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-threadline-sealed-through']).toMatch(/^\d+:[0-9a-f]{64}$/);
    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(res.body).not.toContain('123-45-6789');
    expect(res.trailers).toEqual({
      'x-threadline-sha256': createHash('sha256').update(res.body).digest('hex'),
      'x-threadline-bytes': String(Buffer.byteLength(res.body)),
      'x-threadline-row-count': '1',
    });
  });

  it('works in Chromium: timeline to transaction page under the real CSP, no script blocked, no serious axe finding', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ extraHTTPHeaders: { 'x-user': 'auditor' } });
      const page = await context.newPage();
      const problems: string[] = [];
      // a failed load of the page's own resources is caught by status below; the browser's favicon probe is not a page request
      page.on(
        'console',
        (message) =>
          message.type() === 'error' &&
          !message.text().startsWith('Failed to load resource') &&
          problems.push(message.text()),
      );
      page.on('pageerror', (error) => problems.push(error.message));
      page.on(
        'response',
        (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`),
      );
      await page.goto(`http://127.0.0.1:${port}/audit/timeline`);
      expect(await page.locator('tbody tr').count()).toBe(1);
      expect(await page.locator('body').textContent()).not.toContain('123-45-6789');
      await page
        .getByRole('link', { name: /^View transaction/ })
        .first()
        .click();
      await page.waitForURL(/\/audit\/transactions\/[0-9a-f-]{36}$/);
      expect(await page.locator('dl').textContent()).toContain('user:u1');
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000); // the first run on a fresh machine installs Debian's chromium

  it('serves Terminus /health with the Threadline indicator up', async () => {
    const res = await fetchRaw(port, '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
  });
});

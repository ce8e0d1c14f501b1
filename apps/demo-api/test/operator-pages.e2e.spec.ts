import { launchChromium, seriousAxeViolations } from '@threadline/testing/browser';
import { Test } from '@nestjs/testing';
import { CaptureService, LegalHoldService } from '@threadline/nestjs';
import { mkdirSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { threadlineOptions } from '../src/threadline.config';
import { DemoApp, startDemoApp } from './demo-app';
import { describeOnOneMajor } from '@threadline/testing';

const SECRET_EMAIL = 'ann.private@secret.example';
/** THREADLINE_SCREENSHOTS=1 writes the README's screenshots from this run. */
const SCREENSHOTS =
  process.env.THREADLINE_SCREENSHOTS === '1'
    ? path.resolve(__dirname, '..', '..', '..', 'docs', 'screenshots')
    : undefined;

/**
 * The operator pages in headless Chromium (Debian's package, driven by
 * playwright-core) against the running demo, signed in as an auditor with
 * the demo's cookie.
 */
describeOnOneMajor('operator pages in a browser (real PostgreSQL, headless Chromium)', () => {
  let demo: DemoApp;
  let browser: Browser;
  let auditor: BrowserContext;
  let page: Page;
  let base: string;
  const http = () => request(demo.app.getHttpServer());

  beforeAll(async () => {
    demo = await startDemoApp({ coverageRefreshSeconds: 1 });
    await demo.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${demo.app.getHttpServer().address().port}`;
    await http()
      .post('/api/users')
      .set('x-user-id', '1')
      .send({ name: 'Ann', email: SECRET_EMAIL, password: 'correct horse' })
      .expect(201);
    for (let i = 1; i <= 60; i++) {
      await http()
        .post('/api/posts')
        .set('x-user-id', '2')
        .set('x-correlation-id', i <= 3 ? 'incident-7' : `c-${i}`)
        .send({ title: `Post ${i}`, body: 'b' })
        .expect(201);
    }
    await http().patch('/api/posts/1').set('x-user-id', '3').send({ body: 'edited' }).expect(200);
    browser = await launchChromium();
    auditor = await browser.newContext();
    page = await auditor.newPage();
    await page.goto(`${base}/demo/auditor-session`); // the demo's sign-in: sets its auditor cookie, lands on coverage
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  }, 600_000); // the first run on a fresh machine installs Debian's chromium
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const shot = async (name: string, target: Page = page, fullPage = true) => {
    if (SCREENSHOTS) await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
  };
  const bucket = (name: string) =>
    page.locator('section.bucket', { has: page.getByRole('heading', { name: new RegExp(`^${name} \\(`) }) });
  const setAvailable = async (available: boolean) => {
    const admin = new Client({ connectionString: process.env.THREADLINE_TEST_ADMIN_URL });
    await admin.connect();
    const name = new URL(demo.db.url).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${available}`);
    if (!available)
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    await admin.end();
  };

  it('coverage: its buckets and the badge follow a table losing a trigger (named) and a new unclassified table, at the next refresh', async () => {
    expect(page.url()).toBe(`${base}/audit/coverage`);
    await expect(page.locator('#coverage-badge').textContent()).resolves.toBe('All covered');
    expect(await bucket('Covered').locator('li').allTextContents()).toEqual([
      'public.post_tags',
      'public.posts',
      'public.users',
    ]);
    expect(await bucket('Uncovered, expected to be covered').textContent()).toContain('None');
    expect(await bucket('Unclassified, uncovered').textContent()).toContain('None');
    expect(await bucket('Expected uncovered').locator('li').allTextContents()).toEqual(['public.migrations']);
    await shot('coverage');
    const firstRefresh = await page.locator('#refreshed-at').textContent();

    await demo.db.query(`DROP TRIGGER threadline_audit_posts_delete ON posts`);
    await page.waitForFunction(
      () => document.getElementById('coverage-badge')?.textContent === '1 uncovered',
      undefined,
      { timeout: 10_000 },
    );
    // an expected table that lost a trigger: named with the trigger it lacks, apart from harmless new tables
    expect(await bucket('Uncovered, expected to be covered').locator('li').allTextContents()).toEqual([
      'public.posts missing threadline_audit_posts_delete',
    ]);
    await demo.db.query(`CREATE TABLE scratch_notes (id int PRIMARY KEY)`);
    await page.waitForFunction(
      () => document.getElementById('coverage-badge')?.textContent === '2 uncovered',
      undefined,
      { timeout: 10_000 },
    );
    expect(await bucket('Unclassified, uncovered').locator('li').allTextContents()).toEqual(['public.scratch_notes']);
    expect(await bucket('Unclassified, uncovered').textContent()).toContain('classify them');
    await shot('coverage-missing-trigger');
    await demo.db.query(`DROP TABLE scratch_notes`);
    await page.waitForFunction(
      () => document.getElementById('coverage-badge')?.textContent === '1 uncovered',
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.locator('#refreshed-at').textContent()).not.toBe(firstRefresh);
    // after a refresh the time reads as before it: the viewer's time zone, not raw ISO; UTC on hover
    expect(await page.locator('#refreshed-at').textContent()).not.toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator('#refreshed-at').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT.*\(UTC\)$/);
    expect(await page.locator('#coverage-badge').getAttribute('class')).toBe('badge warn');

    // Every page carries the badge, linking to the coverage page.
    await page.goto(`${base}/audit/timeline`);
    await expect(page.locator('#coverage-badge').textContent()).resolves.toBe('1 uncovered');
    await page.locator('#coverage-badge').click();
    await page.waitForURL(`${base}/audit/coverage`);

    await demo.db.query((await demo.app.get(CaptureService).triggerSql({ tables: ['posts'] })).up);
    await page.waitForFunction(
      () => document.getElementById('coverage-badge')?.textContent === 'All covered',
      undefined,
      { timeout: 10_000 },
    );
  });

  it('coverage: an error banner while the database is unreachable, dimming the stale counts, gone once it is back', async () => {
    await page.goto(`${base}/audit/coverage`);
    // Terminating the app's connections makes TypeORM warn about its pool: expected here, so kept out of the run's output.
    const poolWarning = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    await setAvailable(false);
    try {
      const banner = page.getByRole('alert');
      await banner.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await banner.textContent()).toMatch(
        /^Refresh failed at .*: coverage could not be read: .*The counts below are from the last successful refresh/,
      );
      expect(await page.locator('#buckets').getAttribute('class')).toContain('stale');
      await shot('coverage-error');
    } finally {
      await setAvailable(true);
      poolWarning.mockRestore();
    }
    await page.getByRole('alert').waitFor({ state: 'hidden', timeout: 15_000 });
    expect(await page.locator('#buckets').getAttribute('class')).not.toContain('stale');
  });

  it('redaction policy: matches, then "Drift detected" once the config changes without regenerating the triggers; names only', async () => {
    await page.goto(`${base}/audit/policy/redaction`);
    const row = (p: Page, table: string) => p.getByRole('row', { name: new RegExp(`^${table}`) });
    expect(await row(page, 'public.users').textContent()).toContain('Config matches deployed');
    expect(await row(page, 'public.users').textContent()).toContain('email');
    expect(await row(page, 'public.users').textContent()).toContain('password_hash');
    await shot('redaction');

    // The same app and database after a config change (users.name masked too) deployed without gen-triggers + migrate.
    const users = { ...threadlineOptions.capture!.tables!.users, mask: ['email', 'name'] };
    const changed = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          databaseUrl: demo.db.url,
          runMigrations: false,
          capture: { ...threadlineOptions.capture, tables: { ...threadlineOptions.capture!.tables, users } },
        }),
      ],
    }).compile();
    const next = changed.createNestApplication({ logger: false });
    await next.listen(0, '127.0.0.1');
    try {
      const other = await auditor.newPage();
      await other.goto(`http://127.0.0.1:${next.getHttpServer().address().port}/audit/policy/redaction`);
      expect(await row(other, 'public.users').textContent()).toContain('Drift detected');
      expect(await row(other, 'public.users').textContent()).toContain('mask: deployed lacks name');
      expect(await row(other, 'public.posts').textContent()).toContain('Config matches deployed');
      await shot('redaction-drift', other);
      // the badge turns amber on every page, and the coverage page says which table and what differs
      expect(await other.locator('#coverage-badge').textContent()).toBe('1 with capture drift');
      expect(await other.locator('#coverage-badge').getAttribute('class')).toBe('badge warn');
      await other.locator('#coverage-badge').click();
      await other.waitForURL(/\/audit\/coverage$/);
      expect(
        await other
          .getByRole('region', { name: /Capture drift/ })
          .locator('li')
          .allTextContents(),
      ).toEqual(['public.users: mask: deployed lacks name']);
      await other.close();
    } finally {
      await next.close();
    }
  });

  it('timeline: the API filter vocabulary as a form, keyset paging, export links with the current filters', async () => {
    await page.goto(`${base}/audit/timeline`);
    await page.getByLabel('Table').fill('posts');
    await page.getByLabel('Actor').fill('user:2');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/table=posts&actor=user%3A2/);
    const ids = async () =>
      (await page.locator('tbody tr td:nth-child(4) code').allTextContents()).map((k) => JSON.parse(k).id);
    const first = await ids();
    expect(first).toHaveLength(50);
    expect(new Set(await page.locator('tbody tr td:nth-child(6)').allTextContents())).toEqual(new Set(['user:2']));
    await shot('timeline', page, false);
    const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(csvHref).toBe('/audit/export?table=posts&actor=user%3A2&format=csv');
    const csv = await page.request.get(`${base}${csvHref}`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).trim().split('\n')).toHaveLength(61); // header + 60 inserts by user 2

    await page.getByRole('link', { name: 'Next page' }).click();
    const second = await ids();
    expect(second).toHaveLength(10);
    expect([...first, ...second].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await page.getByText('End of results').count()).toBe(1);
    expect(await page.getByLabel('Table').inputValue()).toBe('posts'); // filters survive paging

    await page.getByRole('link', { name: 'Previous page' }).click();
    expect(await ids()).toEqual(first); // back to the first page
    expect(await page.getByRole('link', { name: 'Previous page' }).count()).toBe(0);

    await page.goto(`${base}/audit/timeline?correlationId=incident-7`);
    expect((await ids()).sort()).toEqual([1, 2, 3]);
    // what changed, with values; actor and correlation id link to their timelines
    const row = page.locator('tbody tr').first();
    expect(await row.locator('td:nth-child(5)').textContent()).toMatch(/body: "b".*title: "Post \d"/s);
    await row.getByRole('link', { name: 'incident-7' }).click();
    await page.waitForURL(/\/audit\/timeline\?correlationId=incident-7$/);
    await page.locator('tbody tr').first().getByRole('link', { name: 'user:2' }).click();
    await page.waitForURL(/\/audit\/timeline\?actor=user%3A2$/);
    // times in the viewer's time zone, the UTC value on hover
    const time = page.locator('tbody tr time').first();
    expect(await time.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT.*Z \(UTC\)$/);
    expect(await time.textContent()).not.toMatch(/\d{4}-\d\d-\d\dT/); // not the raw ISO text
    // an operation filter and a quick range keep the other filters
    await page.goto(`${base}/audit/timeline?table=posts&op=update`);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr td:nth-child(5)').textContent()).toBe('body: "b" → "edited"');
    await page.getByRole('link', { name: 'Last hour' }).click();
    await page.waitForURL(/[?&]from=\d{4}-/);
    expect(await page.getByLabel('Operation').inputValue()).toBe('update');
    expect(await page.getByLabel('Table').inputValue()).toBe('posts');
    expect(await page.locator('tbody tr').count()).toBe(1);

    await page.goto(`${base}/audit/timeline?from=last%20tuesday`);
    expect(await page.getByRole('alert').textContent()).toContain(
      'from must be an ISO 8601 date or timestamp such as 2026-01-31 or 2026-01-31T23:59:59Z (got "last tuesday")',
    );
  });

  it('transaction page: every change with a before/after diff (before from the previous image), and the linked action', async () => {
    await page.goto(`${base}/audit/timeline?table=posts&actor=user:3`);
    await page
      .getByRole('link', { name: /^View transaction/ })
      .first()
      .click();
    await page.waitForURL(/\/audit\/transactions\/[0-9a-f-]{36}$/);
    const change = page.locator('section.bucket').first();
    expect(await change.getByRole('heading').textContent()).toBe('update public.posts {"id":1}');
    // posts stores no changed_from: the before value comes from the row's previous captured image, and says so
    expect(await change.getByRole('row', { name: /^body/ }).textContent()).toBe('body"b" (previous image)"edited"');
    expect(await page.locator('dl').textContent()).toContain('user:3');
    await shot('transaction');

    // the creating transaction shows its linked action: the why
    await page.goto(`${base}/audit/timeline?table=posts&actor=user:2`);
    await page
      .getByRole('link', { name: /^View transaction/ })
      .first()
      .click();
    await page.waitForURL(/\/audit\/transactions\/[0-9a-f-]{36}$/);
    expect(await page.locator('dl').textContent()).toMatch(/Whypost\.created \(create, content\).*recorded by user:2/s);
    await shot('transaction-action');
  });

  it('record history: from a key on the timeline, every change of the row newest first with values, and its state after any change', async () => {
    await page.goto(`${base}/audit/timeline?table=posts&actor=user:3`);
    await page
      .getByRole('link', { name: /^\{"id":1\} history$/ })
      .first()
      .click();
    await page.waitForURL(/\/audit\/history\?table=public\.posts&key=/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Record history');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/update.*body: "b" → "edited".*user:3/s);
    expect(await rows.nth(1).textContent()).toMatch(/insert.*title: "Post 1".*user:2.*post\.created/s);
    expect(await page.locator('thead').textContent()).toContain('Why');
    await rows
      .nth(1)
      .getByRole('link', { name: /^State after/ })
      .click();
    const state = page.getByRole('region', { name: /^State after change/ });
    expect(await state.textContent()).toMatch(/body"b".*title"Post 1"/s);
    await shot('history');
    // the key on a transaction page links here too
    await page
      .getByRole('link', { name: /^Transaction/ })
      .first()
      .click();
    await page.getByRole('link', { name: '{"id":1}' }).first().click();
    await page.waitForURL(/\/audit\/history\?/);
  });

  it('integrity: "Intact" with the chain head, then the altered transaction named and linked once a sealed record changes', async () => {
    await page.goto(`${base}/audit/integrity`);
    expect(await page.getByRole('status').textContent()).toMatch(
      /^Intact: every sealed record is as it was sealed \(\d+ seals checked/,
    );
    expect(await page.locator('code.hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await shot('integrity');
    const [{ id, actor_ref }] = await demo.db.query<{ id: string; actor_ref: unknown }>(
      `SELECT t.id, t.actor_ref FROM audit_transactions t JOIN audit_seals s ON s.transaction_id = t.id ORDER BY s.seq LIMIT 1`,
    );
    await demo.db.query(`UPDATE audit_transactions SET actor_ref = '{"type":"admin","id":"cfo"}' WHERE id = $1`, [id]);
    try {
      await page.goto(`${base}/audit/integrity`);
      expect(await page.getByRole('alert').textContent()).toContain(
        `transaction ${id} (seal #1) was altered after sealing`,
      );
      await page.getByRole('link', { name: id }).click();
      await page.waitForURL(`**/audit/transactions/${id}`);
      await shot('integrity-altered');
      const json = await page.request.get(`${base}/audit/integrity`, { headers: { accept: 'application/json' } });
      expect(await json.json()).toMatchObject({ ok: false, problemCount: 1 });
    } finally {
      await demo.db.query(`UPDATE audit_transactions SET actor_ref = $2 WHERE id = $1`, [
        id,
        JSON.stringify(actor_ref),
      ]);
    }
  });

  it('legal holds: what each covers (linked to those changes), who set it, when and why; released ones apart; a reason is text, never markup', async () => {
    const holds = demo.app.get(LegalHoldService);
    const reason = '<img src=x onerror="window.pwned=1"> case 12';
    const held = await holds.hold({ filters: { table: 'posts', actorRef: 'user:3' }, reason, heldBy: 'legal@corp' });
    const ended = await holds.hold({ filters: { correlationId: 'incident-7' }, reason: 'incident', heldBy: 'sec' });
    await holds.release(ended.id, { reason: 'closed', releasedBy: 'sec' });
    await page.goto(`${base}/audit/holds`);
    expect(await page.locator('[data-count="in-force"]').textContent()).toBe('1');
    expect(await page.locator('[data-count="released"]').textContent()).toBe('1');
    expect(await page.getByRole('cell', { name: 'case 12' }).textContent()).toBe(reason);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    // the time as stored, to the microsecond
    expect(await page.locator('time').first().getAttribute('datetime')).toBe(held.heldAt);
    expect(await page.getByRole('cell', { name: /^closed$/ }).count()).toBe(1);
    await shot('holds');
    await page.getByRole('link', { name: `Changes it covers (hold ${held.id})` }).click();
    await page.waitForURL(/\/audit\/timeline\?table=public\.posts&actor=user%3A3$/);
    expect(await page.getByRole('link', { name: /^View transaction/ }).count()).toBe(1);
    const json = await page.request.get(`${base}/audit/holds`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toEqual({
      holds: [held, { ...ended, released: expect.objectContaining({ by: 'sec' }) }],
    });
  });

  it('a masked column: its real value is in the database and absent from every page', async () => {
    expect(await demo.db.query(`SELECT email FROM users WHERE email = $1`, [SECRET_EMAIL])).toHaveLength(1);
    const [{ transaction_id }] = await demo.db.query<{ transaction_id: string }>(
      `SELECT transaction_id FROM audit_changes WHERE table_name = 'users' LIMIT 1`,
    );
    for (const url of [
      '/audit/coverage',
      '/audit/policy/redaction',
      '/audit/timeline',
      '/audit/timeline?table=users',
      '/audit/integrity',
      '/audit/holds',
      `/audit/transactions/${transaction_id}`,
    ]) {
      await page.goto(`${base}${url}`);
      const content = await page.content();
      expect(content).not.toContain(SECRET_EMAIL);
      expect(content).not.toContain('secret.example');
    }
    expect(await page.content()).toContain('[REDACTED]'); // the transaction page shows the placeholder instead
  });

  it('an unauthorized user gets a 403 page with no audit data, on every page and data endpoint', async () => {
    const stranger = await browser.newContext();
    try {
      const other = await stranger.newPage();
      for (const url of [
        '/audit/coverage',
        '/audit/policy/redaction',
        '/audit/timeline',
        '/audit/transactions/00000000-0000-0000-0000-000000000000',
        '/audit/integrity',
        '/audit/holds',
      ]) {
        const response = await other.goto(`${base}${url}`);
        expect(response?.status()).toBe(403);
        expect(await other.getByRole('heading', { level: 1 }).textContent()).toBe('Not authorized');
        const content = await other.content();
        expect(content).not.toMatch(/public\.|covered|REDACTED|Post \d/);
      }
      await shot('forbidden', other);
      const data = await other.request.get(`${base}/audit/coverage`, { headers: { accept: 'application/json' } });
      expect(data.status()).toBe(403);
      expect(await data.json()).toEqual({
        statusCode: 403,
        message: 'not authorized for audit routes',
        error: 'Forbidden',
      });
      // the 403 page says how to get in: the app's sign-in route (operator.signInUrl)
      await other.goto(`${base}/audit/timeline`);
      await other.getByRole('link', { name: 'Sign in' }).click();
      await other.waitForURL(/\/audit\/coverage/);
      expect(await other.getByRole('heading', { level: 1 }).textContent()).not.toBe('Not authorized');
    } finally {
      await stranger.close();
    }
  });

  it('is keyboard reachable; every page fits 1280 and 390 px screens with no horizontal scrolling, tables included', async () => {
    const small = await browser.newContext({
      viewport: { width: 390, height: 844 },
      storageState: await auditor.storageState(),
    });
    const narrow = await small.newPage();
    try {
      for (const width of [1280, 390]) {
        await narrow.setViewportSize({ width, height: 844 });
        await narrow.goto(`${base}/audit/timeline?table=posts&actor=user:3`);
        const transaction = await narrow
          .getByRole('link', { name: /^View transaction/ })
          .first()
          .getAttribute('href');
        for (const url of [
          '/audit/coverage',
          '/audit/policy/redaction',
          '/audit/timeline',
          '/audit/integrity',
          '/audit/holds',
          '/audit/history?table=posts&key=%7B%22id%22%3A1%7D',
          transaction!,
        ]) {
          await narrow.goto(`${base}${url}`);
          // nothing reaches past the viewport, and no table scrolls sideways inside its wrapper either
          const wide = await narrow.evaluate(
            (w) =>
              [...document.querySelectorAll('body *')]
                .filter(
                  (e) =>
                    e.getBoundingClientRect().right > w + 1 ||
                    (['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1),
                )
                .map((e) => `${e.tagName}.${e.className}`)
                .slice(0, 5),
            width,
          );
          expect({ width, url, wide }).toEqual({ width, url, wide: [] });
          expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
          // names, keys and ids never wrap mid-token (no "public.post / s")
          const split = await narrow.evaluate(() =>
            [
              ...document.querySelectorAll(
                'td[data-label="Table"] code, td[data-label="Key"] code, th[scope="row"] code',
              ),
            ]
              .filter((e) => e.getClientRects().length > 1)
              .map((e) => e.textContent),
          );
          expect({ width, url, split }).toEqual({ width, url, split: [] });
        }
      }
      // the timeline's rows are cards whose cells say which column they are
      await narrow.goto(`${base}/audit/timeline?table=posts&op=update`);
      const card = narrow.locator('tbody tr').first();
      expect(await card.locator('td[data-label="Actor"]').textContent()).toBe('user:3');
      expect(
        await card.locator('td[data-label="Actor"]').evaluate((td) => getComputedStyle(td, '::before').content),
      ).toBe('"Actor"');
      await shot('timeline-narrow', narrow, false);
      await narrow.goto(`${base}/audit/coverage`);
      await narrow.keyboard.press('Tab');
      expect(await narrow.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      const focusable: string[] = [];
      for (let i = 0; i < 7; i++) {
        await narrow.keyboard.press('Tab');
        focusable.push(await narrow.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
      }
      expect(focusable.slice(0, 6)).toEqual([
        'Coverage',
        'Redaction policy',
        'Timeline',
        'Integrity',
        'Legal holds',
        'All covered',
      ]);
    } finally {
      await small.close();
    }
  });

  it('every page passes axe-core with no serious or critical violation, at 1280 and 390 px, refusals included', async () => {
    await page.goto(`${base}/audit/timeline?table=posts&actor=user:3`);
    const transaction = await page
      .getByRole('link', { name: /^View transaction/ })
      .first()
      .getAttribute('href');
    const urls = [
      '/audit/coverage',
      '/audit/policy/redaction',
      '/audit/timeline',
      '/audit/timeline?from=last%20tuesday', // the 400 banner
      '/audit/integrity',
      '/audit/holds',
      '/audit/history?table=posts&key=%7B%22id%22%3A1%7D',
      transaction!,
    ];
    const found: Record<string, string[]> = {};
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const url of urls) {
        await page.goto(`${base}${url}`);
        const violations = await seriousAxeViolations(page);
        if (violations.length) found[`${width} ${url}`] = violations;
      }
    }
    const stranger = await browser.newPage(); // no auditor cookie: the 403 page
    await stranger.goto(`${base}/audit/timeline`);
    const refused = await seriousAxeViolations(stranger);
    if (refused.length) found['403'] = refused;
    await stranger.close();
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(found).toEqual({});
    // the check itself finds what it should: an unlabelled input and unreadable contrast
    const control = await browser.newPage();
    await control.setContent('<main><h1>x</h1><input><p style="color:#eee;background:#fff">faint</p></main>');
    expect((await seriousAxeViolations(control)).map((v) => v.split(' ')[0])).toEqual(
      expect.arrayContaining(['color-contrast', 'label']),
    );
    await control.close();
  });
});

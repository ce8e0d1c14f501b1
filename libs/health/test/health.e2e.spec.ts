import { Controller, Get, INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureOptions, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineProofModule } from '@threadline/proof';
import { InvalidOptionsError, threadlineEvents } from '@threadline/core';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import request from 'supertest';
import {
  CoverageService,
  ExpectedTableMissingError,
  HealthOptions,
  RedactionPolicyService,
  ThreadlineCoverageIndicator,
  ThreadlineHealthModule,
} from '../src';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly coverage: ThreadlineCoverageIndicator,
  ) {}
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.coverage.isHealthy()]);
  }
}

const CAPTURE: CaptureOptions = { tables: { users: { mask: ['email'], exclude: ['password_hash'] }, posts: {} } };

const SILENT = { log() {}, error() {}, warn() {}, debug() {}, verbose() {} };

describe('health and coverage (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE users (id int PRIMARY KEY, email text, password_hash text, name text);
                    CREATE TABLE posts (id int PRIMARY KEY, title text);
                    CREATE TABLE job_queue (id int PRIMARY KEY);
                    CREATE TABLE scratch (id int PRIMARY KEY)`);
    await db.query(auditSchemaSql('public').up);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  async function boot(health: HealthOptions, capture: CaptureOptions = CAPTURE): Promise<INestApplication> {
    const url = db.url;
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url, retryAttempts: 0 }),
        TerminusModule,
        ThreadlineCaptureModule.forRoot(capture),
        ThreadlineProofModule.forRoot({}),
        ThreadlineHealthModule.forRoot(health),
      ],
      controllers: [HealthController],
    })
      // Some tests take the database away on purpose; TypeORM's reconnect errors would print as if a test failed.
      .setLogger(SILENT)
      .compile();
    return initOrClose(moduleRef.createNestApplication({ logger: false }));
  }
  const applyTriggers = async (a: INestApplication, tables?: string[]) =>
    db.query((await a.get(CaptureService).triggerSql({ tables })).up);

  it('reports coverage before and after gen-triggers and after a trigger is dropped or disabled by hand', async () => {
    app = await boot({ expectedTables: ['users', 'posts'], expectedUncoveredTables: ['job_queue'] });
    const coverage = app.get(CoverageService);
    expect(await coverage.report()).toMatchObject({
      covered: [],
      uncoveredExpected: ['public.posts', 'public.users'],
      expectedUncovered: ['public.job_queue'],
      unclassified: ['public.scratch'],
      missingExpected: [],
      ok: false,
    });
    await applyTriggers(app);
    expect(await coverage.report()).toMatchObject({
      covered: ['public.posts', 'public.users'],
      uncoveredExpected: [],
      ok: true,
    });
    expect((await coverage.report({ strict: true })).ok).toBe(false);
    await db.query(`DROP TRIGGER threadline_audit_posts_delete ON posts`);
    const tables = await coverage.triggerCoverage();
    expect(tables.find((t) => t.table === 'posts')).toEqual({
      schema: 'public',
      table: 'posts',
      covered: false,
      missingTriggers: ['threadline_audit_posts_delete'],
      firesInReplicaRole: true,
    });
    expect(tables.map((t) => t.table)).not.toContain('audit_changes');
    await applyTriggers(app, ['posts']);
    await db.query(`ALTER TABLE users DISABLE TRIGGER threadline_audit_users`);
    expect((await coverage.report()).uncoveredExpected).toEqual(['public.users']);
  });

  it('flips /health to 503 naming the uncovered expected table, and back', async () => {
    app = await boot({ expectedTables: ['users', 'posts'], expectedUncoveredTables: ['job_queue'] });
    await applyTriggers(app);
    const up = await request(app.getHttpServer()).get('/health').expect(200);
    expect(up.body.info.threadline_coverage).toEqual({
      status: 'up',
      covered: 2,
      uncoveredExpected: [],
      missingExpected: [],
      expectedUncovered: ['public.job_queue'],
      unclassified: ['public.scratch'],
      drift: [],
      notCapturedInReplicaRole: [],
    });
    await db.query(`DROP TRIGGER threadline_audit_users_update ON users`);
    const down = await request(app.getHttpServer()).get('/health').expect(503);
    expect(down.body.error.threadline_coverage).toMatchObject({ status: 'down', uncoveredExpected: ['public.users'] });
    await applyTriggers(app, ['users']);
    await request(app.getHttpServer()).get('/health').expect(200);
  });

  it.each([
    [{ expectedTables: ['users', 'userz'] }, 'health.expectedTables: public.userz is not a table in the database'],
    [
      { expectedUncoveredTables: ['jobqueue', 'nope.x'] },
      'health.expectedUncoveredTables: public.jobqueue, nope.x are not tables in the database; fix the name in health.expectedUncoveredTables',
    ],
    [
      { expectedTables: ['users'], expectedUncoveredTables: ['users'] },
      'health.expectedTables: public.users listed in both expectedTables and expectedUncoveredTables',
    ],
    [{ expectedTables: 'users' }, 'health.expectedTables must be an array of table names (got "users")'],
    [{ strict: 'yes' }, 'health.strict must be true or false'],
  ])('stops boot for %j, listing the bad names', async (health, message) => {
    await expect(boot(health as HealthOptions)).rejects.toThrow(message);
  });

  it('a name the database does not have is its own error, naming the option it is in', async () => {
    const failed = await boot({ expectedTables: ['userz'], expectedUncoveredTables: ['nope'] }).catch((e) => e);
    expect(failed).toBeInstanceOf(ExpectedTableMissingError);
    expect(failed).toBeInstanceOf(InvalidOptionsError); // the options were wrong: caught where options errors are
    expect(failed.message.split('\n')).toEqual([
      'Invalid Threadline options:',
      expect.stringMatching(
        /^ {2}- health\.expectedTables: public\.userz is not a table in the database; fix the name/,
      ),
      expect.stringMatching(
        /^ {2}- health\.expectedUncoveredTables: public\.nope is not a table in the database; fix the name/,
      ),
    ]);
  });

  it('detects redaction drift after a config change without regeneration, clears after regenerating, and cannot introspect a hand-altered function', async () => {
    app = await boot({});
    await applyTriggers(app);
    expect((await app.get(RedactionPolicyService).redactionPolicy()).map((t) => [t.table, t.label])).toEqual([
      ['public.posts', 'Config matches deployed'],
      ['public.users', 'Config matches deployed'],
    ]);
    await app.close();
    const changed: CaptureOptions = { tables: { users: { mask: ['email', 'name'] }, posts: {} } };
    app = await boot({}, changed);
    const drift = (await app.get(RedactionPolicyService).redactionPolicy()).find((t) => t.table === 'public.users')!;
    expect(drift).toMatchObject({
      status: 'drift',
      label: 'Drift detected',
      differences: ['exclude: deployed also has password_hash', 'mask: deployed lacks name'],
    });
    await applyTriggers(app);
    expect((await app.get(RedactionPolicyService).redactionPolicy()).every((t) => t.status === 'matches')).toBe(true);

    await db.query(`INSERT INTO users VALUES (1, 'secret@example.com', 'hash-value', 'Ann')`);
    await db.query(
      `CREATE OR REPLACE FUNCTION threadline_audit_posts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
    );
    await db.query(`DROP FUNCTION threadline_audit_users() CASCADE`);
    const policy = await app.get(RedactionPolicyService).redactionPolicy();
    expect(policy.map((t) => [t.table, t.label, t.reason])).toEqual([
      ['public.posts', 'Could not introspect', expect.stringContaining('changed outside Threadline')],
      ['public.users', 'Could not introspect', expect.stringContaining('no Threadline capture function is deployed')],
    ]);
    // column names and placeholder metadata only, never values
    const text = JSON.stringify(policy);
    expect(text).not.toContain('secret@example.com');
    expect(text).not.toContain('hash-value');
  });

  describe('every kind of capture drift turns coverage, /health and verify-coverage red', () => {
    const expectRed = async (a: INestApplication, table: string, difference: RegExp) => {
      const report = await a.get(CoverageService).report();
      expect(report.ok).toBe(false);
      const found = report.drift.find((d) => d.table === table);
      expect(found?.expected).toBe(true);
      expect(found?.differences.join('\n')).toMatch(difference);
      const down = await request(a.getHttpServer()).get('/health').expect(503);
      expect(JSON.stringify(down.body.error.threadline_coverage.drift)).toContain(table);
    };
    const health: HealthOptions = {
      expectedTables: ['users', 'posts'],
      expectedUncoveredTables: ['job_queue', 'scratch'],
    };

    it('a mask added to the config but not deployed', async () => {
      app = await boot(health);
      await applyTriggers(app);
      expect((await app.get(CoverageService).report()).ok).toBe(true);
      await app.close();
      app = await boot(health, {
        tables: { users: { mask: ['email', 'name'], exclude: ['password_hash'] }, posts: {} },
      });
      await expectRed(app, 'public.users', /mask: deployed lacks name/);
    });

    it('a masked column renamed (still masked, but the configuration no longer names it)', async () => {
      app = await boot(health);
      await applyTriggers(app);
      await db.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
      await expectRed(
        app,
        'public.users',
        /mask: email was renamed to email_address; capture still applies mask to it under its new name/,
      );
    });

    it('a masked column dropped and added back under another name (masked until the configuration says what it is)', async () => {
      app = await boot(health);
      await applyTriggers(app);
      await db.query(`ALTER TABLE users DROP COLUMN email, ADD COLUMN email_address text`);
      await expectRed(
        app,
        'public.users',
        /mask: column\(s\) email_address added after capture was last generated from capture\.tables, on a table with redaction, are masked until the configuration says what they are/,
      );
    });

    it('columns changed while no DDL event trigger regenerates capture', async () => {
      await db.query(`DROP EVENT TRIGGER threadline_ddl`);
      app = await boot(health);
      await applyTriggers(app);
      await db.query(`ALTER TABLE posts ADD COLUMN body text`);
      await expectRed(
        app,
        'public.posts',
        /columns changed since its capture function was generated.*writes are still recorded, but every column capture cannot classify/,
      );
    });

    it('triggers re-enabled by hand with plain ENABLE TRIGGER, which skips replica-role writes', async () => {
      app = await boot(health);
      await applyTriggers(app);
      expect((await app.get(CoverageService).report()).notCapturedInReplicaRole).toEqual([]);
      await db.query(`ALTER TABLE posts DISABLE TRIGGER threadline_audit_posts, ENABLE TRIGGER threadline_audit_posts`);
      expect((await app.get(CoverageService).report()).notCapturedInReplicaRole).toEqual(['public.posts']);
    });

    it('a capture function body changed by hand', async () => {
      app = await boot(health);
      await applyTriggers(app);
      const [{ src }] = await db.query<{ src: string }>(
        `SELECT prosrc AS src FROM pg_proc WHERE proname = 'threadline_audit_posts'`,
      );
      await db.query(
        `CREATE OR REPLACE FUNCTION threadline_audit_posts() RETURNS trigger LANGUAGE plpgsql AS $x$${src.replace("'insert'", "'insert' -- edited")}$x$`,
      );
      await expectRed(app, 'public.posts', /changed outside Threadline/);
    });

    it('a partition without capture, and one created later gets it', async () => {
      await db.query(
        `CREATE TABLE measurements (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
      );
      await db.query(`CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu')`);
      const h: HealthOptions = {
        expectedTables: ['users', 'posts', 'measurements'],
        expectedUncoveredTables: ['job_queue', 'scratch'],
      };
      app = await boot(h);
      await applyTriggers(app, ['users', 'posts', 'measurements']);
      await db.query(`CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us')`);
      expect((await app.get(CoverageService).report()).ok).toBe(true);
      await db.query(`DROP TRIGGER threadline_audit_measurements_delete ON measurements_us`);
      await expectRed(app, 'public.measurements', /partition\(s\) public\.measurements_us have no capture triggers/);
      expect((await app.get(CoverageService).report()).uncoveredExpected).toEqual(['public.measurements_us']);
    });
  });

  it('publishes health-checked events, and error events that keep counting while the database refuses connections', async () => {
    const checked: unknown[] = [];
    const errors: { consecutiveFailures: number; error: string }[] = [];
    const onChecked = (e: unknown) => checked.push(e);
    const onError = (e: unknown) => errors.push(e as never);
    threadlineEvents.healthChecked.subscribe(onChecked);
    threadlineEvents.healthError.subscribe(onError);
    const name = new URL(db.url).pathname.slice(1);
    const setAvailable = async (available: boolean) => {
      const admin = new Client({ connectionString: process.env.THREADLINE_TEST_ADMIN_URL });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${available}`);
      if (!available)
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
      await admin.end();
    };
    try {
      app = await boot({ expectedTables: ['users'] });
      const coverage = app.get(CoverageService);
      await coverage.report();
      expect(checked).toEqual([{ covered: 0, uncovered: 4, drifted: 0, unclassified: 3 }]);
      await setAvailable(false);
      await expect(coverage.report()).rejects.toThrow();
      await expect(coverage.report()).rejects.toThrow();
      expect(errors.map((e) => e.consecutiveFailures)).toEqual([1, 2]);
      expect(errors[0]).toMatchObject({ errorType: expect.stringMatching(/Error$/) });
      const result = await app.get(ThreadlineCoverageIndicator).isHealthy();
      expect(result.threadline_coverage).toMatchObject({
        status: 'down',
        message: expect.stringContaining('coverage check failed'),
      });
      expect(errors.map((e) => e.consecutiveFailures)).toEqual([1, 2, 3]);
      await setAvailable(true);
      await coverage.report();
      expect(checked).toHaveLength(2);
    } finally {
      threadlineEvents.healthChecked.unsubscribe(onChecked);
      threadlineEvents.healthError.unsubscribe(onError);
      await setAvailable(true);
    }
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { auditSchemaSql } from '@threadline/capture';
import {
  ActorRef,
  BaselineService,
  CaptureService,
  CoverageService,
  IntegrityService,
  LegalHoldService,
  RetentionError,
  RetentionService,
  ThreadlineContext,
  ThreadlineModule,
  ThreadlineModuleOptions,
} from '../src';

const OPTIONS: ThreadlineModuleOptions = {
  capture: { tables: { users: { mask: ['email'] }, posts: {} } },
  retention: { keepDays: 1, enabled: true },
  health: { expectedTables: ['users', 'posts'] },
};

/**
 * The whole module running as the app's least-privilege role (docs/trust.md):
 * what the app does works; what needs the owner says so.
 */
describe('ThreadlineModule connected as a least-privilege app role', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `tl_owner_${suffix}`;
  const appRole = `tl_app_${suffix}`;
  const password = randomBytes(12).toString('hex');
  let db: TestDatabase;
  let app: INestApplication;
  const urlFor = (role: string) => {
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    return url.toString();
  };
  const boot = async (url: string) => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot({ type: 'postgres', url, retryAttempts: 0 }), ThreadlineModule.forRoot(OPTIONS)],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    return created;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE ROLE ${owner} LOGIN PASSWORD '${password}'; CREATE ROLE ${appRole} LOGIN PASSWORD '${password}';
                    ALTER SCHEMA public OWNER TO ${owner}`);
    const asOwner = new Client({ connectionString: urlFor(owner) });
    await asOwner.connect();
    asOwner.on('notice', () => undefined);
    await asOwner.query(`SET client_min_messages = error`);
    await asOwner.query(auditSchemaSql('public').up);
    await asOwner.query(
      `CREATE TABLE users (id serial PRIMARY KEY, email text); CREATE TABLE posts (id serial PRIMARY KEY, title text)`,
    );
    // The owner's process generates and applies capture (as `gen-triggers` + migrate would).
    const ownerApp = await boot(urlFor(owner));
    await asOwner.query((await ownerApp.get(CaptureService).triggerSql()).up);
    await ownerApp.close();
    const doc = readFileSync(path.resolve(__dirname, '../../../docs/trust.md'), 'utf8');
    const grants = /```sql\n(-- least-privilege grants[\s\S]*?)```/.exec(doc)![1].replace(/\bapp_user\b/g, appRole);
    await asOwner.query(grants);
    await asOwner.end();
    app = await boot(urlFor(appRole));
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
    await db.query(`DROP ROLE IF EXISTS ${appRole}; DROP ROLE IF EXISTS ${owner}`).catch(() => undefined);
  });

  it('captures attributed writes, reports coverage, and seals and verifies the chain', async () => {
    const context = app.get(ThreadlineContext);
    await context.transaction(ActorRef.user('7'), async (m) => {
      await m.query(`INSERT INTO users (email) VALUES ('a@x')`);
      await m.query(`INSERT INTO posts (title) VALUES ('hello')`);
    });
    const [change] = await db.query<{ data_after: unknown; actor_ref: unknown }>(
      `SELECT c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id WHERE c.table_name = 'users'`,
    );
    expect(change).toEqual({ data_after: { id: 1, email: '[REDACTED]' }, actor_ref: { type: 'user', id: '7' } });
    expect((await app.get(CoverageService).report()).ok).toBe(true);
    expect(await app.get(IntegrityService).verify()).toMatchObject({ ok: true, sealedNow: 1, checked: 1 });
  });

  it('refuses a purge with a message that names the rights it needs and whom to run it as', async () => {
    await db.query(`UPDATE audit_changes SET captured_at = now() - interval '2 days'`);
    const error = await app
      .get(RetentionService)
      .purge()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetentionError);
    expect((error as Error).message).toMatch(
      /^retention purge needs DELETE on "public"."audit_changes", "public"."audit_transactions" and "public"."audit_actions".*which the connected role lacks; run `node dist\/cli\.js retention purge --execute` connected as the audit tables' owner.* PostgreSQL said: permission denied/,
    );
    expect(Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_changes`))[0].n)).toBe(2);
  });

  it('lists legal holds (the operator pages do), and refuses to set or release one, naming the rights and whom to run as', async () => {
    await db.query(
      `INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"public.posts"}', 'case', 'legal')`,
    );
    const holds = app.get(LegalHoldService);
    expect(await holds.list()).toEqual([expect.objectContaining({ id: '1', filters: { table: 'public.posts' } })]);
    await expect(holds.hold({ filters: { table: 'users' }, reason: 'r', heldBy: 'b' })).rejects.toThrow(
      /^setting or releasing a legal hold needs INSERT and UPDATE on "public"."audit_legal_holds", which the connected role lacks; run `node dist\/cli\.js retention hold` .* connected as the audit tables' owner/,
    );
    await expect(holds.release('1', { reason: 'r', releasedBy: 'b' })).rejects.toThrow(/needs INSERT and UPDATE/);
    expect((await holds.list({ all: true }))[0].released).toBeUndefined();
  });

  it('refuses a baseline with a message that names the rights it needs', async () => {
    await db.query(
      `ALTER TABLE posts DISABLE TRIGGER USER; INSERT INTO posts (title) VALUES ('legacy'); ALTER TABLE posts ENABLE TRIGGER USER`,
    );
    await expect(app.get(BaselineService).baseline('posts', { execute: true })).rejects.toThrow(
      /^baseline needs INSERT on .*which the connected role lacks; run `node dist\/cli\.js baseline --table public\.posts --execute` connected as the audit tables' owner/,
    );
  });
});

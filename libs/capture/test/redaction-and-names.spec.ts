import { Client } from 'pg';
import {
  AUDIT_TABLES,
  auditSchemaSql,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
} from '../src';
import { createCaptureHarness, CaptureHarness } from './capture-harness';

const SECRET_EMAIL = 'secret.person@example.com';
const SECRET_HASH = 'scrypt$deadbeef$cafebabe';
const SECRET_JSON = 'nested-secret-value';

/** Every text value stored in the three audit tables, to search for leaks. */
async function allAuditText(client: Client, schema = 'public'): Promise<string> {
  const rows = await client.query(
    `SELECT (SELECT coalesce(string_agg(to_jsonb(c)::text, ' '), '') FROM "${schema}".audit_changes c) ||
            (SELECT coalesce(string_agg(to_jsonb(t)::text, ' '), '') FROM "${schema}".audit_transactions t) ||
            (SELECT coalesce(string_agg(to_jsonb(a)::text, ' '), '') FROM "${schema}".audit_actions a) AS text`,
  );
  return rows.rows[0].text;
}

describe('redaction at capture', () => {
  let h: CaptureHarness;
  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.client.query(
      `CREATE TABLE users (id int PRIMARY KEY, name text, email text, password_hash text, profile jsonb)`,
    );
  });
  afterEach(() => h.close());

  it('keeps masked and excluded values out of every audit table, in images, changed fields and changed_from', async () => {
    await h.capture(['users'], {
      tables: { users: { mask: ['email', 'profile'], exclude: ['password_hash'], storeChangedFrom: true } },
    });
    await h.client.query(`INSERT INTO users VALUES (1, 'Ann', $1, $2, $3)`, [
      SECRET_EMAIL,
      SECRET_HASH,
      { secret: SECRET_JSON },
    ]);
    await h.client.query(
      `UPDATE users SET email = 'second-' || email, password_hash = password_hash || 'x', profile = '{"secret":"${SECRET_JSON}2"}', name = 'Anne'`,
    );
    await h.client.query(`UPDATE users SET password_hash = 'only-hash-changed'`);
    await h.client.query(`DELETE FROM users`);

    const text = await allAuditText(h.client);
    for (const secret of [SECRET_EMAIL, 'scrypt$', 'only-hash-changed', SECRET_JSON, 'password_hash']) {
      expect(text).not.toContain(secret);
    }
    const [insert, update, hashOnly] = await h.changes();
    expect(insert.data_after).toEqual({ id: 1, name: 'Ann', email: '[REDACTED]', profile: '[REDACTED]' });
    expect(update.changed_fields).toEqual(['name', 'email', 'profile']);
    expect(update.changed_from).toEqual({ name: 'Ann', email: '[REDACTED]', profile: '[REDACTED]' });
    // a change to an excluded column alone is recorded, without saying what changed
    expect(hashOnly.op).toBe('update');
    expect(hashOnly.changed_fields).toEqual([]);
    expect(hashOnly.changed_from).toBeNull();
  });

  it('uses the configured mask placeholder', async () => {
    await h.capture(['users'], { maskPlaceholder: '***', tables: { users: { mask: ['email'] } } });
    await h.client.query(`INSERT INTO users (id, email) VALUES (1, $1)`, [SECRET_EMAIL]);
    expect((await h.changes())[0].data_after!.email).toBe('***');
  });

  it('generates the same SQL text for the same options and catalog', async () => {
    const options = resolveCaptureOptions({
      tables: { users: { mask: ['email', 'profile'], exclude: ['password_hash'] } },
    });
    const reordered = resolveCaptureOptions({
      tables: { users: { exclude: ['password_hash'], mask: ['profile', 'email'] } },
    });
    const q = { query: (sql: string, p?: unknown[]) => h.client.query(sql, p).then((r) => r.rows) };
    const [table] = await describeTables(q, [{ schema: 'public', table: 'users' }]);
    const a = generateTriggerSql(table!, tableOptionsFor(options, 'public', 'users'), options);
    const b = generateTriggerSql(table!, tableOptionsFor(reordered, 'public', 'users'), reordered);
    expect(a).toEqual(b);
  });
});

describe('keys, names and schemas', () => {
  let h: CaptureHarness;
  afterEach(() => h.close());

  it('keys composite primary keys on every key column', async () => {
    h = await createCaptureHarness();
    await h.client.query(`CREATE TABLE post_tags (post_id int, tag text, weight int, PRIMARY KEY (tag, post_id))`);
    await h.capture(['post_tags']);
    await h.client.query(`INSERT INTO post_tags VALUES (1, 'a', 1), (1, 'b', 1)`);
    await h.client.query(`UPDATE post_tags SET weight = 2 WHERE tag = 'b'`);
    await h.client.query(`UPDATE post_tags SET tag = 'c' WHERE tag = 'a'`);
    const changes = await h.changes();
    expect(changes.map((c) => [c.op, c.table_pk, c.previous_pk])).toEqual([
      ['insert', { tag: 'a', post_id: 1 }, null],
      ['insert', { tag: 'b', post_id: 1 }, null],
      ['update', { tag: 'b', post_id: 1 }, null],
      ['update', { tag: 'c', post_id: 1 }, { tag: 'a', post_id: 1 }],
    ]);
  });

  it('captures tables and columns with odd names, and a table name that tries SQL injection, as names', async () => {
    h = await createCaptureHarness();
    const evil = `x"; DROP TABLE victims; --`;
    await h.client.query(`CREATE TABLE victims (id int PRIMARY KEY)`);
    await h.client.query(
      `CREATE TABLE "${evil.replace(/"/g, '""')}" ("Key Col" int PRIMARY KEY, "it's" text, "$threadline$" text)`,
    );
    await h.client.query(`CREATE TABLE "MixedCase" ("Id" int PRIMARY KEY, "Some Value" text)`);
    await h.capture([evil, 'MixedCase'], { tables: { [evil]: { mask: [`it's`] } } });
    await h.client.query(`INSERT INTO "${evil.replace(/"/g, '""')}" VALUES (1, 'quoted ''value''', 'dollar')`);
    await h.client.query(`INSERT INTO "MixedCase" VALUES (7, 'v')`);
    await h.client.query(`UPDATE "MixedCase" SET "Some Value" = 'w'`);
    const changes = await h.changes();
    expect(changes.map((c) => [c.table_name, c.op, c.table_pk])).toEqual([
      [evil, 'insert', { 'Key Col': 1 }],
      ['MixedCase', 'insert', { Id: 7 }],
      ['MixedCase', 'update', { Id: 7 }],
    ]);
    expect(changes[0].data_after).toEqual({ 'Key Col': 1, "it's": '[REDACTED]', $threadline$: 'dollar' });
    expect(changes[2].changed_fields).toEqual(['Some Value']);
    expect((await h.client.query(`SELECT to_regclass('victims') IS NOT NULL AS exists`)).rows[0].exists).toBe(true);
  });

  it('works for tables outside public and for audit tables in their own schema', async () => {
    h = await createCaptureHarness('audit');
    await h.client.query(`CREATE SCHEMA shop; CREATE TABLE shop.orders (order_no text PRIMARY KEY, total numeric)`);
    await h.capture(['shop.orders'], { tables: { 'shop.orders': { storeChangedFrom: true } } });
    await h.client.query(`INSERT INTO shop.orders VALUES ('A-1', 10)`);
    await h.client.query(`UPDATE shop.orders SET total = 12`);
    const changes = await h.changes();
    expect(changes.map((c) => [c.table_schema, c.table_name, c.op, c.table_pk])).toEqual([
      ['shop', 'orders', 'insert', { order_no: 'A-1' }],
      ['shop', 'orders', 'update', { order_no: 'A-1' }],
    ]);
    expect(changes[1].changed_from).toEqual({ total: 10 });
    expect((await h.client.query(`SELECT to_regclass('public.audit_changes') AS t`)).rows[0].t).toBeNull();
  });
});

describe('concurrency', () => {
  it('never shares a transaction row between concurrent transactions', async () => {
    const h = await createCaptureHarness();
    try {
      await h.client.query(`CREATE TABLE items (id int PRIMARY KEY, v int)`);
      await h.capture(['items']);
      const clients = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const c = new Client({ connectionString: h.db.url });
          await c.connect();
          return c;
        }),
      );
      // Interleave: all four open a transaction and write before any commits.
      for (const [i, c] of clients.entries()) {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [
          JSON.stringify({ type: 'user', id: String(i) }),
        ]);
      }
      for (let round = 0; round < 3; round++) {
        for (const [i, c] of clients.entries()) await c.query(`INSERT INTO items VALUES ($1, $2)`, [round * 10 + i, i]);
      }
      for (const c of clients) await c.query('COMMIT');
      await Promise.all(clients.map((c) => c.end()));
      const { rows } = await h.client.query(
        `SELECT t.actor_ref->>'id' AS actor, array_agg(DISTINCT (c.data_after->>'v')) AS writers, count(*)::int AS n
         FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id GROUP BY t.id ORDER BY 1`,
      );
      expect(rows).toEqual(['0', '1', '2', '3'].map((id) => ({ actor: id, writers: [id], n: 3 })));
    } finally {
      await h.close();
    }
  });
});

describe('audit schema install', () => {
  it('is idempotent at the SQL level too', async () => {
    const h = await createCaptureHarness();
    try {
      await h.client.query(auditSchemaSql('public').up);
      expect(
        (
          await h.client.query(`SELECT relname FROM pg_class WHERE relname LIKE 'audit_%' AND relkind = 'r' ORDER BY 1`)
        ).rows.map((r) => r.relname),
      ).toEqual([...AUDIT_TABLES].sort());
    } finally {
      await h.close();
    }
  });
});

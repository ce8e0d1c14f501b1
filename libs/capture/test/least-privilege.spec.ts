import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import {
  auditSchemaSql,
  describeTables,
  generateTriggerSql,
  readDeployedCapture,
  captureDifferences,
  resolveCaptureOptions,
  tableOptionsFor,
} from '../src';

/** The grants block of docs/trust.md, for the app role `role`, as the docs print it. */
function documentedGrants(role: string): string {
  const doc = readFileSync(path.resolve(__dirname, '../../../docs/trust.md'), 'utf8');
  const block = /```sql\n(-- least-privilege grants[\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/trust.md has no SQL block starting "-- least-privilege grants"');
  return block.replace(/\bapp_user\b/g, role);
}

/**
 * The role model of docs/trust.md on a real server: an owner role installs
 * the audit schema and capture (no superuser, so no DDL event trigger), an
 * app role with only the documented grants writes the audited tables.
 */
describe('least privilege: the app role writes audited tables, never the audit tables', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `tl_owner_${suffix}`;
  const app = `tl_app_${suffix}`;
  const password = randomBytes(12).toString('hex');
  let db: TestDatabase;
  let asOwner: Client;
  let asApp: Client;
  const urlFor = (role: string) => {
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    return url.toString();
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(
      `CREATE ROLE ${owner} LOGIN PASSWORD '${password}'; CREATE ROLE ${app} LOGIN PASSWORD '${password}'`,
    );
    await db.query(`ALTER SCHEMA public OWNER TO ${owner}`);
    asOwner = new Client({ connectionString: urlFor(owner) });
    await asOwner.connect();
    asOwner.on('notice', () => undefined);
    await asOwner.query(`SET client_min_messages = error`);
    await asOwner.query(auditSchemaSql('public').up);
    await asOwner.query(`CREATE TABLE users (id serial PRIMARY KEY, name text, email text, password_hash text);
                         CREATE TABLE posts (id serial PRIMARY KEY, title text)`);
    const options = resolveCaptureOptions({ tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    const queryable = {
      query: (sql: string, params?: unknown[]) => asOwner.query(sql, params).then((r) => r.rows),
    };
    const described = await describeTables(queryable, [
      { schema: 'public', table: 'users' },
      { schema: 'public', table: 'posts' },
    ]);
    for (const d of described)
      await asOwner.query(generateTriggerSql(d!, tableOptionsFor(options, d!.schema, d!.table), options).up);
    await asOwner.query(documentedGrants(app));
    asApp = new Client({ connectionString: urlFor(app) });
    await asApp.connect();
  });

  afterAll(async () => {
    await asApp?.end();
    await asOwner?.end();
    await db.drop();
    await db.query(`DROP ROLE IF EXISTS ${app}; DROP ROLE IF EXISTS ${owner}`).catch(() => undefined);
  });

  async function asAppInTransaction<T>(actor: string, work: () => Promise<T>): Promise<T> {
    await asApp.query('BEGIN');
    try {
      await asApp.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [actor]);
      const result = await work();
      await asApp.query('COMMIT');
      return result;
    } catch (error) {
      await asApp.query('ROLLBACK');
      throw error;
    }
  }

  it("captures the app role's writes, attributed and redacted, with the owner's rights", async () => {
    await asAppInTransaction('{"type":"user","id":"7"}', async () => {
      await asApp.query(
        `INSERT INTO users (name, email, password_hash) VALUES ('Ada', 'ada@example.com', 'secret-hash')`,
      );
      await asApp.query(`UPDATE users SET name = 'Ada L.' WHERE name = 'Ada'`);
      await asApp.query(`INSERT INTO posts (title) VALUES ('hello')`);
      await asApp.query(`DELETE FROM posts`);
    });
    const { rows } = await asApp.query(
      `SELECT c.table_name, c.op, c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id ORDER BY c.id`,
    );
    expect(rows.map((r) => `${r.table_name}:${r.op}`)).toEqual([
      'users:insert',
      'users:update',
      'posts:insert',
      'posts:delete',
    ]);
    expect(rows.every((r) => r.actor_ref.id === '7')).toBe(true);
    expect(rows[0].data_after.email).toBe('[REDACTED]');
    expect(JSON.stringify(rows)).not.toContain('secret-hash');
  });

  it('records an action through threadline_record_action and links it to the transaction', async () => {
    const linked = await asAppInTransaction('{"type":"user","id":"7"}', async () => {
      await asApp.query(`INSERT INTO posts (title) VALUES ('with a reason')`);
      const { rows } = await asApp.query(
        `SELECT * FROM threadline_record_action('post.created', '{"type":"user","id":"7"}', 'ok', NULL, NULL, 'asked by support', NULL, NULL, NULL, NULL)`,
      );
      return rows[0];
    });
    expect(linked.linked).toBe(1);
    const { rows } = await asApp.query(
      `SELECT a.reason FROM audit_transactions t JOIN audit_actions a ON a.id = t.action_id`,
    );
    expect(rows).toEqual([{ reason: 'asked by support' }]);
  });

  it("seals the audit log with the owner's rights, while the seals stay out of its reach", async () => {
    const { rows } = await asApp.query(`SELECT sealed, pending FROM threadline_seal()`);
    expect(rows[0].sealed).toBeGreaterThan(0);
    await expect(asApp.query(`UPDATE audit_seals SET chain_sha256 = sha256('x')`)).rejects.toThrow(/permission denied/);
    await expect(asApp.query(`DELETE FROM audit_seal_checkpoints`)).rejects.toThrow(/permission denied/);
    // the tree the sealer grew with the owner's rights: readable, never writable or growable by the app
    const [{ n }] = (await asApp.query(`SELECT count(*)::int AS n FROM audit_seal_tree`)).rows;
    expect(n).toBeGreaterThanOrEqual(0);
    await expect(asApp.query(`UPDATE audit_seal_tree SET hash = sha256(hash)`)).rejects.toThrow(/permission denied/);
    await expect(asApp.query(`INSERT INTO audit_seal_tree VALUES (4, 999, sha256('x'))`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asApp.query(`SELECT threadline_tree_grow()`)).rejects.toThrow(/permission denied/);
  });

  it('refuses an action whose actor is not an actor, naming what is allowed', async () => {
    await expect(
      asApp.query(
        `SELECT * FROM threadline_record_action('x', '{"type":"user"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      ),
    ).rejects.toThrow(/is not a valid actor .*"type": one of user, admin/);
  });

  it.each([
    [
      'a forged change',
      `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) VALUES (gen_random_uuid(), 'public', 'users', 'update', '{"id":1}')`,
    ],
    [
      'a forged transaction "by admin:cfo"',
      `INSERT INTO audit_transactions (txid, actor_ref) VALUES (1, '{"type":"admin","id":"cfo"}')`,
    ],
    ['a forged action', `INSERT INTO audit_actions (name, actor_ref) VALUES ('x', '{"type":"admin","id":"cfo"}')`],
    ['an altered change', `UPDATE audit_changes SET data_after = '{}'`],
    ['an altered actor', `UPDATE audit_transactions SET actor_ref = '{"type":"admin","id":"cfo"}'`],
    ['an altered action', `UPDATE audit_actions SET reason = 'none'`],
    ['a deleted change', `DELETE FROM audit_changes`],
    ['a deleted transaction', `DELETE FROM audit_transactions`],
    ['a deleted action', `DELETE FROM audit_actions`],
    ['a truncate', `TRUNCATE audit_changes`],
    ['a direct call of the transaction function', `SELECT threadline_transaction_id()`],
  ])('refuses %s by the app role', async (_what, sql) => {
    await expect(asApp.query(sql)).rejects.toThrow(/permission denied/);
  });

  it("files its writes under its own transaction, whatever it sets as the transaction id (never under admin:cfo's)", async () => {
    const victim = await asAppInTransaction('{"type":"admin","id":"cfo"}', async () => {
      await asApp.query(`INSERT INTO posts (title) VALUES ('approved by the cfo')`);
      const { rows } = await asApp.query(`SELECT current_setting('threadline.transaction_id') AS cached`);
      return String(rows[0].cached).split('/')[1];
    });
    await asAppInTransaction('{"type":"user","id":"mallory"}', async () => {
      // the cache format: <txid>/<audit transaction id>, written by the session itself
      await asApp.query(`SELECT set_config('threadline.transaction_id', txid_current()::text || '/' || $1, true)`, [
        victim,
      ]);
      await asApp.query(`INSERT INTO posts (title) VALUES ('slipped in')`);
    });
    const { rows } = await asApp.query(
      `SELECT c.transaction_id, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.data_after->>'title' = 'slipped in'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].transaction_id).not.toBe(victim);
    expect(rows[0].actor_ref).toEqual({ type: 'user', id: 'mallory' });
    const { rows: victims } = await asApp.query(
      `SELECT count(*)::int AS n FROM audit_changes WHERE transaction_id = $1`,
      [victim],
    );
    expect(victims[0].n).toBe(1);
  });

  it("links an action only to the transaction that recorded it, never to another user's", async () => {
    const action = await asAppInTransaction('{"type":"admin","id":"cfo"}', async () => {
      const { rows } = await asApp.query(
        `SELECT id FROM threadline_record_action('invoice.approved', '{"type":"admin","id":"cfo"}', 'ok', NULL, NULL, 'quarter close', NULL, NULL, NULL, NULL)`,
      );
      return rows[0].id as string;
    });
    await asAppInTransaction('{"type":"user","id":"mallory"}', async () => {
      await asApp.query(`SELECT set_config('threadline.action_id', $1, true)`, [action]);
      await asApp.query(`INSERT INTO posts (title) VALUES ('under the approval')`);
    });
    const { rows } = await asApp.query(
      `SELECT t.action_id FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.data_after->>'title' = 'under the approval'`,
    );
    expect(rows).toEqual([{ action_id: null }]);
    const { rows: linked } = await asApp.query(
      `SELECT count(*)::int AS n FROM audit_transactions WHERE action_id = $1`,
      [action],
    );
    expect(linked[0].n).toBe(1);
  });

  it.each([
    ['an empty name', `'  '`, `'ok'`, 'NULL', 'NULL', /an action needs a name/],
    [
      'a name over 200 characters',
      `repeat('n', 201)`,
      `'ok'`,
      'NULL',
      'NULL',
      /name is at most 200 characters \(got 201\)/,
    ],
    ['a status that is not ok or error', `'x'`, `'done'`, 'NULL', 'NULL', /status is 'ok' or 'error' \(got 'done'\)/],
    ['a NULL status', `'x'`, 'NULL', 'NULL', 'NULL', /status is 'ok' or 'error' \(got NULL\)/],
    [
      'a reason over 10000 characters',
      `'x'`,
      `'ok'`,
      `repeat('r', 10001)`,
      'NULL',
      /reason is at most 10000 characters/,
    ],
    [
      'a correlation id over 256 bytes',
      `'x'`,
      `'ok'`,
      'NULL',
      `repeat('c', 257)`,
      /correlation id is a non-empty text of at most 256 bytes \(got 257 bytes\)/,
    ],
  ])('refuses an action with %s, naming what is allowed', async (_what, name, status, reason, correlation, message) => {
    await expect(
      asApp.query(
        `SELECT * FROM threadline_record_action(${name}, '{"type":"user","id":"7"}', ${status}, NULL, NULL, ${reason}, NULL, ${correlation}, NULL, NULL)`,
      ),
    ).rejects.toThrow(message);
  });

  it('refuses attaching a capture function to a table of its own (a forged change under the name of users)', async () => {
    await asApp.query(`CREATE TEMP TABLE fake (id int PRIMARY KEY, email text)`);
    await expect(
      asApp.query(`CREATE TRIGGER fake_audit AFTER INSERT ON fake REFERENCING NEW TABLE AS threadline_new
                   FOR EACH STATEMENT EXECUTE FUNCTION public.threadline_audit_users()`),
    ).rejects.toThrow(/permission denied for function (public\.)?threadline_audit_users/);
  });

  it("reports a capture function that runs with the writer's rights, or that PUBLIC may execute, as drift", async () => {
    const options = resolveCaptureOptions({ tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    const queryable = { query: (sql: string, params?: unknown[]) => asOwner.query(sql, params).then((r) => r.rows) };
    const read = async () =>
      captureDifferences(
        tableOptionsFor(options, 'public', 'users'),
        options,
        (await readDeployedCapture(queryable, 'public', [{ schema: 'public', table: 'users' }]))[0]!,
      );
    expect(await read()).toEqual([]);
    await asOwner.query(
      `ALTER FUNCTION threadline_audit_users() SECURITY INVOKER; GRANT EXECUTE ON FUNCTION threadline_audit_users() TO PUBLIC`,
    );
    const differences = await read();
    expect(differences).toEqual([
      expect.stringContaining("runs with the writer's rights"),
      expect.stringContaining('granted to PUBLIC'),
    ]);
    await asOwner.query(
      `ALTER FUNCTION threadline_audit_users() SECURITY DEFINER; REVOKE ALL ON FUNCTION threadline_audit_users() FROM PUBLIC`,
    );
    expect(await read()).toEqual([]);
  });

  it("an owner's migration (ADD, DROP, RENAME, TYPE) never stops the app's writes; nothing lands in clear; drift names the table", async () => {
    const options = resolveCaptureOptions({ tables: { invoices: { mask: ['billing_email'] } } });
    const queryable = { query: (sql: string, params?: unknown[]) => asOwner.query(sql, params).then((r) => r.rows) };
    await asOwner.query(`CREATE TABLE invoices (id serial PRIMARY KEY, billing_email text, amount int, notes text)`);
    const [described] = await describeTables(queryable, [{ schema: 'public', table: 'invoices' }]);
    await asOwner.query(generateTriggerSql(described!, tableOptionsFor(options, 'public', 'invoices'), options).up);
    await asOwner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO ${app}; GRANT USAGE ON SEQUENCE invoices_id_seq TO ${app}`,
    );
    const drift = async () =>
      captureDifferences(
        tableOptionsFor(options, 'public', 'invoices'),
        options,
        (await readDeployedCapture(queryable, 'public', [{ schema: 'public', table: 'invoices' }]))[0]!,
      );
    expect(await drift()).toEqual([]);
    const migrations = [
      `ALTER TABLE invoices ADD COLUMN customer_ssn text`,
      `ALTER TABLE invoices RENAME COLUMN billing_email TO customer_email`,
      `ALTER TABLE invoices ALTER COLUMN amount TYPE numeric(12, 2)`,
      `ALTER TABLE invoices DROP COLUMN notes`,
    ];
    for (const [i, migration] of migrations.entries()) {
      await asOwner.query(migration);
      await asAppInTransaction('{"type":"user","id":"7"}', async () => {
        const columns = i === 0 ? '(billing_email, amount, customer_ssn)' : '(customer_email, amount, customer_ssn)';
        await asApp.query(
          `INSERT INTO invoices ${columns} VALUES ('payer-secret-${i}@example.com', ${i}, 'ssn-secret-${i}')`,
        );
        await asApp.query(`UPDATE invoices SET amount = amount + 1 WHERE id = (SELECT max(id) FROM invoices)`);
      });
    }
    const { rows } = await asOwner.query(
      `SELECT c.op, c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.table_name = 'invoices' ORDER BY c.id`,
    );
    expect(rows.map((r) => r.op)).toEqual([
      'insert',
      'update',
      'insert',
      'update',
      'insert',
      'update',
      'insert',
      'update',
    ]);
    expect(rows.every((r) => r.actor_ref.id === '7')).toBe(true);
    expect(rows.at(-1).data_after).toEqual({
      id: 4,
      customer_email: '[REDACTED]',
      amount: 4, // its type changed, not what it is: a clear column under its own name stays clear
      customer_ssn: '[REDACTED]',
    });
    const { rows: text } = await asOwner.query(`SELECT string_agg(c::text, ' ') AS t FROM audit_changes c`);
    expect(text[0].t).not.toMatch(/payer-secret|ssn-secret/);
    expect(await drift()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /columns changed since its capture function was generated.*writes are still recorded.*gen-triggers/,
        ),
      ]),
    );
  });
});

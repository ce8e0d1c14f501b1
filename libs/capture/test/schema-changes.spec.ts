import { Client } from 'pg';
import {
  auditSchemaSql,
  captureDifferences,
  readDeployedCapture,
  resolveCaptureOptions,
  tableOptionsFor,
} from '../src';
import { createCaptureHarness, CaptureHarness } from './capture-harness';

const SECRET_EMAIL = 'alice-secret@example.com';
const SECRET_HASH = 'hash-never-stored';

/** Every audit row as text: a redacted value must appear nowhere in it. */
async function auditText(h: CaptureHarness): Promise<string> {
  const { rows } = await h.client.query(`SELECT coalesce(string_agg(c::text, E'\\n'), '') AS t FROM audit_changes c`);
  return rows[0].t;
}

describe('capture survives schema changes (real PostgreSQL, DDL event trigger)', () => {
  let h: CaptureHarness;

  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.client.query(
      `CREATE TABLE users (id serial PRIMARY KEY, email text, password_hash text, name text, body text, meta jsonb)`,
    );
    await h.capture(['users'], { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    await h.client.query(`INSERT INTO users (email, password_hash, name, body) VALUES ($1, $2, 'alice', 'x')`, [
      SECRET_EMAIL,
      SECRET_HASH,
    ]);
  });
  afterEach(() => h.close());

  it('DROP COLUMN: later writes succeed and are recorded', async () => {
    await h.client.query(`ALTER TABLE users DROP COLUMN body`);
    await h.client.query(`UPDATE users SET name = 'alice2'`);
    await h.client.query(`INSERT INTO users (name) VALUES ('bob')`);
    await h.client.query(`DELETE FROM users WHERE name = 'bob'`);
    const changes = await h.changes(`id > 1`);
    expect(changes.map((c) => [c.op, c.changed_fields])).toEqual([
      ['update', ['name']],
      ['insert', null],
      ['delete', null],
    ]);
    expect(changes[0].data_after).not.toHaveProperty('body');
  });

  it('ADD COLUMN: an UPDATE that changes only the new column is recorded with it in changed_fields', async () => {
    await h.client.query(`CREATE TABLE plain (id int PRIMARY KEY, name text)`);
    await h.capture(['plain'], { tables: { plain: {} } });
    await h.client.query(`INSERT INTO plain VALUES (1, 'a')`);
    await h.client.query(`ALTER TABLE plain ADD COLUMN credit_limit numeric`);
    await h.client.query(`UPDATE plain SET credit_limit = 500`);
    const [update] = await h.changes(`op = 'update'`);
    expect(update.changed_fields).toEqual(['credit_limit']);
    expect(update.data_after).toMatchObject({ credit_limit: 500 });
  });

  it('ADD COLUMN on a table with redaction: the new column is masked until the configuration says what it is', async () => {
    await h.client.query(`ALTER TABLE users ADD COLUMN phone text`);
    await h.client.query(`UPDATE users SET phone = '+44 7700 900123'`);
    const [masked] = await h.changes(`op = 'update'`);
    expect(masked.changed_fields).toEqual(['phone']);
    expect(masked.data_after).toMatchObject({ phone: '[REDACTED]', name: 'alice' });
    // capture generated from the configuration again: it does not name phone, so phone is stored as it is
    await h.capture(['users'], { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    await h.client.query(`UPDATE users SET phone = '+44 7700 900124'`);
    const [, clear] = await h.changes(`op = 'update'`);
    expect(clear.data_after).toMatchObject({ phone: '+44 7700 900124', email: '[REDACTED]' });
  });

  it('a table renamed since capture was generated: a change of its columns is refused until capture follows the name', async () => {
    await h.client.query(`ALTER TABLE users RENAME TO people`);
    await h.client.query(`INSERT INTO people (email, password_hash, name) VALUES ($1, $2, 'bob')`, [
      SECRET_EMAIL,
      SECRET_HASH,
    ]);
    await expect(h.client.query(`ALTER TABLE people RENAME COLUMN email TO contact`)).rejects.toThrow(
      /public\.people was captured as public\.users \(renamed since\)/,
    );
    await expect(h.client.query(`ALTER TABLE people ADD COLUMN ssn text`)).rejects.toThrow(/renamed since/);
    await h.client.query(`CREATE SCHEMA moved; ALTER TABLE people SET SCHEMA moved`);
    await expect(h.client.query(`ALTER TABLE moved.people DROP COLUMN body`)).rejects.toThrow(/renamed since/);
    expect(await auditText(h)).not.toContain('alice-secret');
  });

  it('DDL on a parent is followed by capture on its inheritance children, and DDL under the replica role too', async () => {
    await h.client.query(
      `CREATE TABLE contact (email text); CREATE TABLE kid (id int PRIMARY KEY, pw text, note text) INHERITS (contact)`,
    );
    await h.capture(['kid'], { tables: { kid: { mask: ['email'], exclude: ['pw'] } } });
    await h.client.query(`ALTER TABLE contact RENAME COLUMN email TO reach`);
    await h.client.query(`ALTER TABLE contact ADD COLUMN ssn text`);
    await h.client.query(`INSERT INTO kid (id, reach, ssn, pw, note) VALUES (1, $1, 'ssn-secret', $2, 'n')`, [
      SECRET_EMAIL,
      SECRET_HASH,
    ]);
    const [kid] = await h.changes(`table_name = 'kid'`);
    expect(kid.data_after).toMatchObject({ reach: '[REDACTED]', ssn: '[REDACTED]', note: 'n' });
    expect(kid.data_after).not.toHaveProperty('pw');
    // event triggers fire under session_replication_role = replica too
    await h.client.query(`SET session_replication_role = replica; ALTER TABLE users RENAME COLUMN email TO mail;
                          ALTER TABLE users ADD COLUMN ssn text; RESET session_replication_role`);
    await h.client.query(`INSERT INTO users (mail, ssn, name) VALUES ($1, 'ssn-secret', 'eve')`, [SECRET_EMAIL]);
    const text = await auditText(h);
    expect(text).not.toContain('alice-secret');
    expect(text).not.toContain('hash-never');
    expect(text).not.toContain('ssn-secret');
  });

  it('a type change USING an expression records every row as it is now, redacted as capture redacts it', async () => {
    await h.client.query(`ALTER TABLE users ADD COLUMN phone text`);
    await h.client.query(`UPDATE users SET phone = 'unclassified-secret'`);
    await h.client.query(`ALTER TABLE users ALTER COLUMN name TYPE text USING upper(name)`);
    const [snapshot] = await h.changes(`op = 'snapshot'`);
    expect(snapshot.data_after).toMatchObject({ name: 'ALICE', email: '[REDACTED]', phone: '[REDACTED]' });
    expect(snapshot.data_after).not.toHaveProperty('password_hash');
    const text = await auditText(h);
    expect(text).not.toContain('alice-secret');
    expect(text).not.toContain('hash-never');
    expect(text).not.toContain('unclassified-secret');
  });

  it('a masked column dropped and added back under another name, in one statement or two, or copied first: never in clear', async () => {
    // TypeORM synchronize renames a column this way; no attribute number follows the value
    await h.client.query(`ALTER TABLE users DROP COLUMN email`);
    await h.client.query(`ALTER TABLE users ADD COLUMN email_address text`);
    await h.client.query(`UPDATE users SET email_address = $1`, [SECRET_EMAIL]);
    await h.client.query(`ALTER TABLE users DROP COLUMN password_hash, ADD COLUMN pw text`);
    await h.client.query(`UPDATE users SET pw = $1`, [SECRET_HASH]);
    // a rename by copy: add, copy, drop
    await h.client.query(`ALTER TABLE users ADD COLUMN contact text`);
    await h.client.query(`UPDATE users SET contact = email_address`);
    await h.client.query(`ALTER TABLE users DROP COLUMN email_address`);
    await h.client.query(`INSERT INTO users (contact, pw, name) VALUES ($1, $2, 'dave')`, [SECRET_EMAIL, SECRET_HASH]);
    const text = await auditText(h);
    expect(text).not.toContain('alice-secret');
    expect(text).not.toContain('hash-never');
    const [insert] = await h.changes(`op = 'insert' AND data_after->>'name' = 'dave'`);
    expect(insert.data_after).toMatchObject({ contact: '[REDACTED]', pw: '[REDACTED]' });
  });

  it('RENAME COLUMN of a masked and an excluded column: values stay redacted under the new names', async () => {
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
    await h.client.query(`ALTER TABLE users RENAME COLUMN password_hash TO pw`);
    await h.client.query(`INSERT INTO users (email_address, pw, name) VALUES ($1, $2, 'carol')`, [
      SECRET_EMAIL,
      SECRET_HASH,
    ]);
    await h.client.query(`UPDATE users SET email_address = $1 || '.new', pw = $2 || '2' WHERE name = 'alice'`, [
      SECRET_EMAIL,
      SECRET_HASH,
    ]);
    const changes = await h.changes(`id > 1`);
    expect(changes.map((c) => c.op)).toEqual(['insert', 'update']);
    expect(changes[0].data_after).toMatchObject({ email_address: '[REDACTED]', name: 'carol' });
    expect(changes[0].data_after).not.toHaveProperty('pw');
    expect(changes[1].changed_fields).toEqual(['email_address']);
    const text = await auditText(h);
    expect(text).not.toContain('alice-secret');
    expect(text).not.toContain('hash-never');
  });

  it('a new column that takes a masked name is masked too (the configuration names it)', async () => {
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO old_email`);
    await h.client.query(`ALTER TABLE users ADD COLUMN email text`);
    await h.client.query(`UPDATE users SET email = $1`, [SECRET_EMAIL]);
    expect(await auditText(h)).not.toContain('alice-secret');
    const [update] = await h.changes(`op = 'update'`);
    expect(update.data_after).toMatchObject({ email: '[REDACTED]', old_email: '[REDACTED]' });
  });

  it('ALTER COLUMN TYPE jsonb -> json -> text: every UPDATE still works and is recorded', async () => {
    await h.client.query(`UPDATE users SET meta = '{"a": 1}'`);
    await h.client.query(`ALTER TABLE users ALTER COLUMN meta TYPE json USING meta::json`);
    await h.client.query(`UPDATE users SET meta = '{"a": 2}'`);
    await h.client.query(`ALTER TABLE users ALTER COLUMN meta TYPE text`);
    await h.client.query(`UPDATE users SET meta = 'plain'`);
    const updates = await h.changes(`op = 'update'`);
    expect(updates.map((c) => c.changed_fields)).toEqual([['meta'], ['meta'], ['meta']]);
    expect(updates[2].data_after).toMatchObject({ meta: 'plain' });
  });

  it('a primary key moved to another column: history is keyed by the new key', async () => {
    await h.client.query(`ALTER TABLE users ADD COLUMN code text`);
    await h.client.query(`UPDATE users SET code = 'A1'`);
    // on a table with redaction a new column is masked until the configuration says what it is, and a key never is
    await expect(
      h.client.query(`ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (code)`),
    ).rejects.toThrow(
      /code of public\.users joined the primary key after being added since capture was generated from capture\.tables/,
    );
    await h.capture(['users'], { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    await h.client.query(`ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (code)`);
    await h.client.query(`UPDATE users SET name = 'keyed by code'`);
    const [last] = (await h.changes(`op = 'update'`)).slice(-1);
    expect(last.table_pk).toEqual({ code: 'A1' });
  });

  it('dropping the primary key of an audited table is refused with the reason', async () => {
    await expect(h.client.query(`ALTER TABLE users DROP CONSTRAINT users_pkey`)).rejects.toThrow(
      /threadline: table public\.users has no primary key/,
    );
    await h.client.query(`UPDATE users SET name = 'still captured'`);
    expect(await h.changes(`op = 'update'`)).toHaveLength(1);
  });

  it('concurrent writers through a rename, an added and a dropped column: every committed write is recorded, nothing in clear', async () => {
    const writers = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const c = new Client({ connectionString: h.db.url });
        await c.connect();
        return c;
      }),
    );
    let stop = false;
    const committed: number[] = [0, 0, 0, 0];
    const loops = writers.map(async (c, w) => {
      while (!stop) {
        // the column's current name, as an app deployed alongside the migration would use it
        const { rows } = await c.query(
          `SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum = 2 AND NOT attisdropped`,
        );
        try {
          await c.query(`INSERT INTO users (${rows[0].attname}, name) VALUES ($1, $2)`, [SECRET_EMAIL, `w${w}`]);
          committed[w]++;
        } catch (error) {
          // only a write that named a column renamed a moment before may fail, and never because of capture
          expect(String(error)).toMatch(/column "(email|email_address)" of relation "users" does not exist/);
        }
      }
    });
    await new Promise((r) => setTimeout(r, 150));
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
    await new Promise((r) => setTimeout(r, 150));
    await h.client.query(`ALTER TABLE users ADD COLUMN note text`);
    await new Promise((r) => setTimeout(r, 150));
    await h.client.query(`ALTER TABLE users DROP COLUMN body`);
    await new Promise((r) => setTimeout(r, 150));
    stop = true;
    await Promise.all(loops);
    await Promise.all(writers.map((c) => c.end()));
    const inserted = committed.reduce((a, b) => a + b, 0);
    expect(inserted).toBeGreaterThan(20);
    expect(await h.changes(`op = 'insert' AND data_after->>'name' LIKE 'w%'`)).toHaveLength(inserted);
    expect(await auditText(h)).not.toContain('alice-secret');
  });

  it('ALTER TYPE ... CASCADE on a typed table is followed: a renamed masked attribute stays masked, a new one is masked, a retype is recorded', async () => {
    await h.client.query(`CREATE TYPE person AS (id int, email text, name text, n int)`);
    await h.client.query(`CREATE TABLE people OF person (PRIMARY KEY (id))`);
    await h.capture(['people'], { tables: { people: { mask: ['email'] } } });
    await h.client.query(`INSERT INTO people VALUES (1, $1, 'a', 1)`, [SECRET_EMAIL]);
    await h.client.query(`ALTER TYPE person RENAME ATTRIBUTE email TO contact CASCADE`);
    await h.client.query(`INSERT INTO people VALUES (2, $1, 'b', 2)`, [SECRET_EMAIL]);
    await h.client.query(`ALTER TYPE person ADD ATTRIBUTE phone text CASCADE`);
    await h.client.query(`UPDATE people SET phone = '+44 7700 900123' WHERE id = 1`);
    await h.client.query(`ALTER TYPE person ALTER ATTRIBUTE n TYPE bigint CASCADE`);
    const changes = await h.changes(`table_name = 'people'`);
    expect(changes.map((c) => [c.op, c.data_after])).toEqual([
      ['insert', { id: 1, email: '[REDACTED]', name: 'a', n: 1 }],
      ['insert', { id: 2, contact: '[REDACTED]', name: 'b', n: 2 }],
      ['update', { id: 1, contact: '[REDACTED]', name: 'a', n: 1, phone: '[REDACTED]' }],
      ['snapshot', expect.objectContaining({ contact: '[REDACTED]', phone: '[REDACTED]' })],
      ['snapshot', expect.objectContaining({ contact: '[REDACTED]', phone: '[REDACTED]' })],
    ]);
    expect(
      changes
        .slice(3)
        .map((c) => c.data_after!.id)
        .sort(),
    ).toEqual([1, 2]);
    expect(await auditText(h)).not.toMatch(/alice-secret|7700/);
  });

  it('reports capture that relies on a DDL event trigger an operator disabled, until it is enabled or capture regenerated', async () => {
    const options = resolveCaptureOptions({ tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    const queryable = { query: (sql: string, params?: unknown[]) => h.client.query(sql, params).then((r) => r.rows) };
    const drift = async () =>
      captureDifferences(
        tableOptionsFor(options, 'public', 'users'),
        options,
        (await readDeployedCapture(queryable, 'public', [{ schema: 'public', table: 'users' }]))[0]!,
      );
    expect(await drift()).toEqual([]);
    await h.client.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    expect(await drift()).toEqual([
      expect.stringMatching(/relies|rely on the DDL event trigger, which is now disabled or dropped/),
    ]);
    await h.client.query(`ALTER EVENT TRIGGER threadline_ddl ENABLE ALWAYS`);
    expect(await drift()).toEqual([]);
    // regenerated while the trigger is disabled: the function guards itself, nothing to report
    await h.client.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    await h.capture(['users'], { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } });
    expect(await drift()).toEqual([]);
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO contact`);
    await h.client.query(`UPDATE users SET contact = 'other-secret'`);
    expect((await h.changes(`op = 'update'`))[0].data_after).toMatchObject({ contact: '[REDACTED]' });
    expect(await drift()).toEqual([expect.stringContaining('writes are still recorded')]);
  });

  it('capture that relies on a disabled DDL event trigger: an added column goes unmasked, an update of it alone unrecorded, a rename stops writes (what the warning says; the test above: health reports it)', async () => {
    await h.client.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    try {
      await h.client.query(`ALTER TABLE users ADD COLUMN phone text`);
      // the function names the columns it compares: a change of the new one alone leaves no audit row
      await h.client.query(`UPDATE users SET phone = '555-0100'`);
      expect(await h.changes(`op = 'update'`)).toEqual([]);
      // the image is the whole row: the new column in clear, on a table with redaction (a guarded function masks it)
      await h.client.query(`UPDATE users SET phone = '555-0101', name = 'alice2'`);
      await h.client.query(`INSERT INTO users (email, name, phone) VALUES ($1, 'carol', '555-0102')`, [SECRET_EMAIL]);
      const [update, insert] = await h.changes(`op <> 'insert' OR id > 1`);
      expect(update).toMatchObject({ op: 'update', changed_fields: ['name'] });
      expect(update.data_after).toMatchObject({ phone: '555-0101', email: '[REDACTED]' });
      expect(insert.data_after).toMatchObject({ phone: '555-0102', email: '[REDACTED]' });
      await h.client.query(`ALTER TABLE users RENAME COLUMN email TO contact`);
      await expect(h.client.query(`UPDATE users SET contact = 'other-secret'`)).rejects.toThrow(/email/);
      expect(await auditText(h)).not.toContain('other-secret');
      expect(await auditText(h)).not.toContain('alice-secret');
    } finally {
      await h.client.query(`ALTER EVENT TRIGGER threadline_ddl ENABLE ALWAYS`);
    }
  });

  it('ALTER VIEW / ALTER MATERIALIZED VIEW ... RENAME COLUMN on a table is followed like ALTER TABLE', async () => {
    await h.client.query(`ALTER VIEW users RENAME COLUMN email TO contact`);
    await h.client.query(`ALTER MATERIALIZED VIEW users RENAME COLUMN password_hash TO pw`);
    await h.client.query(`INSERT INTO users (contact, pw, name) VALUES ($1, $2, 'bob')`, [SECRET_EMAIL, SECRET_HASH]);
    await h.client.query(`UPDATE users SET name = 'bob2' WHERE name = 'bob'`);
    const changes = await h.changes(`id > 1`);
    expect(changes.map((c) => [c.op, c.data_after])).toEqual([
      ['insert', expect.objectContaining({ contact: '[REDACTED]', name: 'bob' })],
      ['update', expect.objectContaining({ contact: '[REDACTED]', name: 'bob2' })],
    ]);
    expect(changes[0].data_after).not.toHaveProperty('pw');
    expect(await auditText(h)).not.toMatch(/alice-secret|hash-never-stored/);
  });

  it("a column dropped by another object's CASCADE (DROP TYPE, DROP DOMAIN) is followed: writes go on", async () => {
    await h.client.query(
      `CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 50)`,
    );
    await h.client.query(`ALTER TABLE users ADD COLUMN m mood, ADD COLUMN s short_text`);
    await h.client.query(`UPDATE users SET m = 'ok', s = 'x'`);
    await h.client.query(`DROP TYPE mood CASCADE`);
    await h.client.query(`DROP DOMAIN short_text CASCADE`);
    await h.client.query(`UPDATE users SET name = 'after drops'`);
    await h.client.query(`DELETE FROM users`);
    const changes = await h.changes(`op IN ('update', 'delete')`);
    expect(changes.map((c) => [c.op, c.changed_fields])).toEqual([
      ['update', ['m', 's']],
      ['update', ['name']],
      ['delete', null],
    ]);
    expect(changes[1].data_after).not.toHaveProperty('m');
  });

  it('more than 50 masked columns (configured or added by DDL) keep writes going', async () => {
    const columns = Array.from({ length: 51 }, (_, i) => `c${i}`);
    await h.client.query(`CREATE TABLE wide (id int PRIMARY KEY, ${columns.map((c) => `${c} text`).join(', ')})`);
    await h.capture(['wide'], { tables: { wide: { mask: columns } } });
    await h.client.query(`INSERT INTO wide (id, c0, c50) VALUES (1, 'secret-0', 'secret-50')`);
    await h.client.query(`ALTER TABLE users ${columns.map((c) => `ADD COLUMN ${c} text`).join(', ')}`);
    await h.client.query(`UPDATE users SET c7 = 'secret-7', name = 'x'`);
    await h.client.query(`INSERT INTO users (name, c49) VALUES ('y', 'secret-49')`);
    expect((await h.changes(`table_name = 'wide'`))[0].data_after).toMatchObject({
      c0: '[REDACTED]',
      c50: '[REDACTED]',
    });
    expect(await auditText(h)).not.toContain('secret-');
  });

  it('values a DDL computes anew (SET EXPRESSION of a generated column, ADD COLUMN with a volatile default) are recorded', async () => {
    const [{ major }] = (await h.client.query(`SELECT current_setting('server_version_num')::int / 10000 AS major`))
      .rows;
    await h.client.query(`CREATE TABLE gen (id int PRIMARY KEY, v int, g int GENERATED ALWAYS AS (v * 2) STORED)`);
    await h.capture(['gen']);
    await h.client.query(`INSERT INTO gen (id, v) VALUES (1, 5)`);
    await h.client.query(`ALTER TABLE gen ADD COLUMN r float8 DEFAULT random()`);
    if (major >= 17) await h.client.query(`ALTER TABLE gen ALTER COLUMN g SET EXPRESSION AS (v * 3)`);
    const snapshots = await h.changes(`table_name = 'gen' AND op = 'snapshot'`);
    expect(snapshots.length).toBe(major >= 17 ? 2 : 1);
    const [row] = (await h.client.query(`SELECT to_jsonb(g.*) AS j FROM gen g`)).rows;
    expect(snapshots.at(-1)!.data_after).toEqual(row.j);
  });

  it('a partition detached while capture was generated without the event trigger is reported until regenerated', async () => {
    await h.client.query(`DROP EVENT TRIGGER threadline_ddl; DROP EVENT TRIGGER threadline_drop`);
    await h.client.query(`CREATE TABLE p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
      CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100)`);
    await h.capture(['p'], { tables: { p: {} } });
    await h.client.query(`ALTER TABLE p DETACH PARTITION p1`);
    const options = resolveCaptureOptions({ tables: { p: {} } });
    const queryable = { query: (sql: string, params?: unknown[]) => h.client.query(sql, params).then((r) => r.rows) };
    const [deployed] = await readDeployedCapture(queryable, 'public', [{ schema: 'public', table: 'p' }]);
    expect(captureDifferences(tableOptionsFor(options, 'public', 'p'), options, deployed!)).toEqual([
      expect.stringMatching(
        /^public\.p1 is no longer part of this table \(a detached partition\) but still carries its capture triggers/,
      ),
    ]);
  });

  it('the DDL and the regenerated capture commit or roll back together', async () => {
    await h.client.query('BEGIN');
    await h.client.query(`ALTER TABLE users ADD COLUMN temp int`);
    await h.client.query('ROLLBACK');
    await h.client.query(`UPDATE users SET name = 'after rollback'`);
    const [update] = await h.changes(`op = 'update'`);
    expect(update.changed_fields).toEqual(['name']);
    expect(update.data_after).not.toHaveProperty('temp');
  });
});

describe('capture without the DDL event trigger (no superuser at install)', () => {
  let h: CaptureHarness;

  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.client.query(`DROP EVENT TRIGGER threadline_ddl`);
    await h.client.query(`CREATE TABLE users (id serial PRIMARY KEY, email text, name text)`);
    await h.capture(['users'], { tables: { users: { mask: ['email'] } } });
    await h.client.query(`INSERT INTO users (email, name) VALUES ($1, 'alice')`, [SECRET_EMAIL]);
  });
  afterEach(() => h.close());

  it('keeps recording through RENAME, ADD, DROP and TYPE changes, masking every column it cannot classify', async () => {
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
    await h.client.query(`INSERT INTO users (email_address, name) VALUES ($1, 'bob')`, [SECRET_EMAIL]);
    await h.client.query(`ALTER TABLE users ADD COLUMN phone text`);
    await h.client.query(`UPDATE users SET phone = '+44 7700 900123', name = 'bob2' WHERE name = 'bob'`);
    await h.client.query(`ALTER TABLE users ALTER COLUMN id TYPE bigint`);
    await h.client.query(`ALTER TABLE users RENAME COLUMN name TO full_name`);
    await h.client.query(`UPDATE users SET full_name = 'alice2' WHERE id = 1`);
    await h.client.query(`ALTER TABLE users DROP COLUMN phone`);
    await h.client.query(`DELETE FROM users WHERE id = 2`);
    const changes = await h.changes(`id > 1`);
    expect(changes.map((c) => [c.op, c.table_pk, c.data_after, c.changed_fields])).toEqual([
      ['insert', { id: 2 }, { id: 2, email_address: '[REDACTED]', name: 'bob' }, null],
      [
        'update',
        { id: 2 },
        { id: 2, email_address: '[REDACTED]', name: 'bob2', phone: '[REDACTED]' },
        ['name', 'phone'],
      ],
      // a clear column under a new name is not classified by the configuration: masked until regenerated
      [
        'update',
        { id: 1 },
        { id: 1, email_address: '[REDACTED]', full_name: '[REDACTED]', phone: '[REDACTED]' },
        ['full_name'],
      ],
      ['delete', { id: 2 }, null, null],
    ]);
    expect(await auditText(h)).not.toContain('alice-secret');
    expect(await auditText(h)).not.toContain('7700');
  });

  it('a masked and a clear column that swap names keep their classes by attribute number', async () => {
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO tmp`);
    await h.client.query(`ALTER TABLE users RENAME COLUMN name TO email`);
    await h.client.query(`ALTER TABLE users RENAME COLUMN tmp TO name`);
    await h.client.query(`INSERT INTO users (name, email) VALUES ($1, 'bob')`, [SECRET_EMAIL]);
    const [insert] = await h.changes(`id > 1`);
    expect(insert.data_after).toEqual({ id: 2, name: '[REDACTED]', email: '[REDACTED]' });
    expect(await auditText(h)).not.toContain('alice-secret');
  });

  it('an excluded column stays excluded under a new name; a table without redaction keeps new columns in clear', async () => {
    await h.client.query(`CREATE TABLE accounts (id int PRIMARY KEY, token text, label text)`);
    await h.capture(['accounts'], { tables: { accounts: { exclude: ['token'], storeChangedFrom: true } } });
    await h.client.query(`CREATE TABLE notes (id int PRIMARY KEY, body text)`);
    await h.capture(['notes'], { tables: { notes: {} } });
    await h.client.query(`INSERT INTO accounts VALUES (1, 'tok-secret-1', 'a'); INSERT INTO notes VALUES (1, 'x')`);
    await h.client.query(
      `ALTER TABLE accounts RENAME COLUMN token TO api_token; ALTER TABLE notes RENAME COLUMN body TO text`,
    );
    await h.client.query(`ALTER TABLE notes ADD COLUMN extra int`);
    await h.client.query(`UPDATE accounts SET api_token = 'tok-secret-2'`);
    await h.client.query(`UPDATE accounts SET label = 'b'`);
    await h.client.query(`UPDATE notes SET text = 'y', extra = 1`);
    const changes = await h.changes(`op = 'update'`);
    expect(changes.map((c) => [c.table_name, c.data_after, c.changed_fields, c.changed_from])).toEqual([
      ['accounts', { id: 1, label: 'a' }, [], null],
      ['accounts', { id: 1, label: 'b' }, ['label'], { label: 'a' }],
      ['notes', { id: 1, text: 'y', extra: 1 }, ['text', 'extra'], null],
    ]);
    expect(await auditText(h)).not.toContain('tok-secret');
  });

  it('a partitioned table keeps recording through a partition whose column numbers differ from its parent', async () => {
    await h.client.query(
      `CREATE TABLE events (id int, kind text, email text, PRIMARY KEY (id, kind)) PARTITION BY LIST (kind)`,
    );
    // created on its own (columns in another order, a dropped column) and attached: other attribute numbers
    await h.client.query(`CREATE TABLE events_a (gone int, email text, kind text NOT NULL, id int NOT NULL);
      ALTER TABLE events_a DROP COLUMN gone;
      ALTER TABLE events ATTACH PARTITION events_a FOR VALUES IN ('a')`);
    await h.capture(['events'], { tables: { events: { mask: ['email'] } } });
    await h.client.query(`ALTER TABLE events RENAME COLUMN email TO contact`);
    await h.client.query(`INSERT INTO events VALUES (1, 'a', $1)`, [SECRET_EMAIL]);
    await h.client.query(`INSERT INTO events_a (id, kind, contact) VALUES (2, 'a', $1)`, [SECRET_EMAIL]);
    await h.client.query(`UPDATE events SET contact = 'other-secret' WHERE id = 1`);
    const changes = await h.changes(`table_name = 'events'`);
    expect(changes.map((c) => [c.op, c.table_pk, c.data_after, c.changed_fields])).toEqual([
      ['insert', { id: 1, kind: 'a' }, { id: 1, kind: 'a', contact: '[REDACTED]' }, null],
      ['insert', { id: 2, kind: 'a' }, { id: 2, kind: 'a', contact: '[REDACTED]' }, null],
      ['update', { id: 1, kind: 'a' }, { id: 1, kind: 'a', contact: '[REDACTED]' }, ['contact']],
    ]);
    expect(await auditText(h)).not.toMatch(/alice-secret|other-secret/);
  });

  it('an excluded or masked column moved into the primary key is never stored in clear, not even in table_pk', async () => {
    await h.client.query(`CREATE TABLE people (id int PRIMARY KEY, ssn text NOT NULL, name text)`);
    await h.capture(['people'], { tables: { people: { exclude: ['ssn'] } } });
    await h.client.query(`ALTER TABLE people DROP CONSTRAINT people_pkey, ADD PRIMARY KEY (ssn)`);
    await h.client.query(`ALTER TABLE people ADD COLUMN note text`);
    await h.client.query(`INSERT INTO people VALUES (2, '222-SECRET', 'b')`);
    await h.client.query(`UPDATE people SET name = 'c'`);
    await h.client.query(`DELETE FROM people`);
    const changes = await h.changes(`table_name = 'people'`);
    expect(changes.map((c) => [c.op, c.table_pk])).toEqual([
      ['insert', { ssn: '[REDACTED]' }],
      ['update', { ssn: '[REDACTED]' }],
      ['delete', { ssn: '[REDACTED]' }],
    ]);
    expect(await auditText(h)).not.toContain('SECRET');
  });

  it("partitions renamed into each other's names do not trade classifications", async () => {
    await h.client.query(`CREATE TABLE p (id int, name text, ssn text, PRIMARY KEY (id)) PARTITION BY RANGE (id)`);
    await h.client.query(`CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100)`);
    await h.client.query(`CREATE TABLE p2 (id int NOT NULL, ssn text, name text, PRIMARY KEY (id));
      ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (100) TO (200)`);
    await h.capture(['p'], { tables: { p: { exclude: ['ssn'] } } });
    await h.client.query(`ALTER TABLE p RENAME COLUMN name TO nm; ALTER TABLE p RENAME COLUMN ssn TO name;
      ALTER TABLE p RENAME COLUMN nm TO ssn; ALTER TABLE p1 RENAME TO p1_old; ALTER TABLE p2 RENAME TO p1`);
    await h.client.query(`INSERT INTO p1 (id, ssn, name) VALUES (150, 'bob', 'SSN-SECRET-150')`);
    await h.client.query(`INSERT INTO p (id, ssn, name) VALUES (50, 'ann', 'SSN-SECRET-50')`);
    expect(await auditText(h)).not.toContain('SSN-SECRET');
    expect((await h.changes(`table_name = 'p'`)).map((c) => c.table_pk)).toEqual([{ id: 150 }, { id: 50 }]);
  });

  it('records every change of json and float columns through the fallback, as the generated capture does', async () => {
    await h.client.query(`CREATE TABLE d (id int PRIMARY KEY, j json, f float8)`);
    await h.capture(['d'], { tables: { d: {} } });
    await h.client.query(`INSERT INTO d VALUES (1, '{"a":1}', 0)`);
    await h.client.query(`ALTER TABLE d ADD COLUMN s text`);
    await h.client.query(`UPDATE d SET j = '{"a": 1}', f = '-0'`);
    await h.client.query(`UPDATE d SET j = '{"a": 1, "a": 2}'`);
    expect((await h.changes(`op = 'update'`)).map((c) => c.changed_fields)).toEqual([['j', 'f'], ['j']]);
  });

  it('two audit schemas in one database keep one transaction row each, and one actor per transaction', async () => {
    await h.client.query(`CREATE SCHEMA audit2`);
    await h.client.query(auditSchemaSql('audit2').up);
    await h.client.query(`CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)`);
    await h.capture(['a']);
    await h.client.query(`SELECT audit2.threadline_capture('public', 'b', 'threadline_audit_b', '{}')`);
    await h.client.query(`BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"alice"}', true);
      INSERT INTO a VALUES (1); INSERT INTO b VALUES (1); INSERT INTO a VALUES (2); COMMIT`);
    const rows = async (schema: string) =>
      (
        await h.client.query(
          `SELECT actor_ref->>'id' AS actor FROM ${schema}.audit_transactions WHERE actor_ref IS NOT NULL`,
        )
      ).rows;
    expect(await rows('public')).toEqual([{ actor: 'alice' }]);
    expect(await rows('audit2')).toEqual([{ actor: 'alice' }]);
    await h.client.query(`BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"alice"}', true);
      INSERT INTO a VALUES (3); SELECT set_config('threadline.actor_ref', '{"type":"user","id":"mallory"}', true)`);
    await expect(h.client.query(`INSERT INTO b VALUES (3)`)).resolves.toBeDefined(); // b's first write: its own schema's first actor
    await expect(h.client.query(`INSERT INTO a VALUES (4)`)).rejects.toThrow('changed after its first audited write');
    await h.client.query('ROLLBACK');
  });

  it('works again once capture is regenerated, and then masks the renamed column', async () => {
    await h.client.query(`ALTER TABLE users RENAME COLUMN email TO email_address`);
    await h.capture(['users'], { tables: { users: { mask: ['email_address'] } } });
    await h.client.query(`INSERT INTO users (email_address, name) VALUES ($1, 'bob')`, [SECRET_EMAIL]);
    expect(await auditText(h)).not.toContain('alice-secret');
    expect((await h.changes()).map((c) => c.op)).toEqual(['insert', 'insert']);
  });

  it('reports capture generated for another copy of the table (a restore into another cluster) until regenerated', async () => {
    const options = resolveCaptureOptions({ tables: { users: { mask: ['email'] } } });
    const queryable = { query: (sql: string, params?: unknown[]) => h.client.query(sql, params).then((r) => r.rows) };
    const drift = async () =>
      captureDifferences(
        tableOptionsFor(options, 'public', 'users'),
        options,
        (await readDeployedCapture(queryable, 'public', [{ schema: 'public', table: 'users' }]))[0]!,
      );
    expect(await drift()).toEqual([]);
    // what a restore does to the stamp's relation id: it names an id the table does not have here
    await h.client.query(`DO $$ DECLARE c text := obj_description('threadline_audit_users'::regproc, 'pg_proc'); BEGIN
      EXECUTE format('COMMENT ON FUNCTION threadline_audit_users() IS %L',
        'threadline:' || (substr(c, 12)::jsonb || '{"relid": 1}')::text); END $$`);
    expect(await drift()).toEqual([expect.stringContaining('generated for another copy of this table')]);
  });

  it('a function that guards itself costs nothing in correctness when nothing changed', async () => {
    await h.client.query(`UPDATE users SET name = 'alice2'`);
    const [update] = await h.changes(`op = 'update'`);
    expect(update.changed_fields).toEqual(['name']);
  });
});

describe('a change is a change: values compared by their stored representation', () => {
  let h: CaptureHarness;
  beforeEach(async () => {
    h = await createCaptureHarness();
  });
  afterEach(() => h.close());

  it('records case-only (citext, nondeterministic collation), scale-only (numeric) and json/jsonb/array/float changes', async () => {
    await h.client.query(`CREATE EXTENSION IF NOT EXISTS citext`);
    await h.client.query(
      `CREATE COLLATION IF NOT EXISTS ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
    );
    await h.client.query(`CREATE DOMAIN ci_text AS text COLLATE ci`);
    await h.client.query(
      `CREATE TABLE things (id int PRIMARY KEY, ct citext, coll text COLLATE ci, dom ci_text, amount numeric, j json, jb jsonb,
         arr citext[], f float8, iv interval)`,
    );
    await h.capture(['things']);
    await h.client.query(
      `INSERT INTO things VALUES (1, 'abc', 'abc', 'abc', 1.0, '{"a":1}', '{"a": 1.0}', '{abc}', 0, '1 day')`,
    );
    const steps: [string, string][] = [
      [`ct = 'ABC'`, 'ct'],
      [`coll = 'ABC'`, 'coll'],
      [`dom = 'ABC'`, 'dom'],
      [`amount = 1.00`, 'amount'],
      [`j = '{"a": 1}'`, 'j'],
      [`jb = '{"a": 1.00}'`, 'jb'],
      [`arr = '{ABC}'`, 'arr'],
      [`f = '-0'`, 'f'],
      [`iv = '24 hours'`, 'iv'],
    ];
    for (const [set] of steps) await h.client.query(`UPDATE things SET ${set}`);
    const updates = await h.changes(`op = 'update'`);
    expect(updates.map((c) => c.changed_fields)).toEqual(steps.map(([, column]) => [column]));
    // and an UPDATE that writes identical values records nothing
    await h.client.query(`UPDATE things SET ct = ct, coll = coll, amount = amount, j = j, arr = arr`);
    expect(await h.changes(`op = 'update'`)).toHaveLength(steps.length);
  });
});

describe('generated SQL whatever the column names', () => {
  let h: CaptureHarness;
  beforeEach(async () => {
    h = await createCaptureHarness();
  });
  afterEach(() => h.close());

  it('columns named n, o, x, e, pk, image, threadline_ord, threadline_image and reserved words, with an exclude', async () => {
    await h.client.query(
      `CREATE TABLE odd (id int PRIMARY KEY, n text, o text, x text, e text, pk text, image text, changed text,
         threadline_ord int, threadline_image text, "select" text, secret text)`,
    );
    await h.capture(['odd'], { tables: { odd: { exclude: ['secret'] } } });
    await h.client.query(
      `INSERT INTO odd VALUES (1, 'n1', 'o1', 'x1', 'e1', 'pk1', 'i1', 'c1', 7, 'ti', 's1', 'hidden')`,
    );
    await h.client.query(`UPDATE odd SET n = 'n2', threadline_ord = 8`);
    await h.client.query(`UPDATE odd SET secret = 'hidden2'`);
    const changes = await h.changes();
    expect(changes.map((c) => c.op)).toEqual(['insert', 'update', 'update']);
    expect(changes[0].data_after).toEqual({
      id: 1,
      n: 'n1',
      o: 'o1',
      x: 'x1',
      e: 'e1',
      pk: 'pk1',
      image: 'i1',
      changed: 'c1',
      threadline_ord: 7,
      threadline_image: 'ti',
      select: 's1',
    });
    expect(changes[1].changed_fields).toEqual(['n', 'threadline_ord']);
    expect(changes[2].changed_fields).toEqual([]);
    expect(changes[0].table_pk).toEqual({ id: 1 });
  });
});

describe('partitioned tables', () => {
  let h: CaptureHarness;
  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.client.query(
      `CREATE TABLE events (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
    );
    await h.client.query(`CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu')`);
    await h.capture(['events']);
  });
  afterEach(() => h.close());

  it('a partition captured on its own and through its captured parent: both follow DDL on the parent', async () => {
    await h.client.query(`CREATE TABLE ledger (id int PRIMARY KEY, email text, note text) PARTITION BY RANGE (id)`);
    await h.client.query(`CREATE TABLE ledger_low PARTITION OF ledger FOR VALUES FROM (0) TO (100)`);
    await h.capture(['ledger_low', 'ledger'], {
      tables: { ledger_low: { mask: ['email'] }, ledger: { mask: ['email'] } },
    });
    await h.client.query(`ALTER TABLE ledger RENAME COLUMN email TO mail`);
    await h.client.query(`ALTER TABLE ledger ADD COLUMN ssn text`);
    await h.client.query(`INSERT INTO ledger_low VALUES (1, 'low-secret', 'n', 'ssn-secret')`);
    await h.client.query(`INSERT INTO ledger VALUES (2, 'top-secret', 'n', 'ssn-secret')`);
    const text = await auditText(h);
    expect(text).not.toContain('-secret');
    expect((await h.changes(`table_name IN ('ledger', 'ledger_low')`)).length).toBeGreaterThanOrEqual(2);
  });

  it('a partition captured on its own and through its parent: a type change records its rows under both names', async () => {
    await h.client.query(`CREATE TABLE ledger (id int PRIMARY KEY, amount int) PARTITION BY RANGE (id)`);
    await h.client.query(`CREATE TABLE ledger_low PARTITION OF ledger FOR VALUES FROM (0) TO (100)`);
    await h.capture(['ledger_low', 'ledger']);
    await h.client.query(`INSERT INTO ledger VALUES (1, 10)`);
    await h.client.query(`ALTER TABLE ledger ALTER COLUMN amount TYPE bigint USING amount * 2`);
    const snapshots = await h.changes(`op = 'snapshot'`);
    expect(snapshots.map((c) => [c.table_name, c.data_after]).sort()).toEqual([
      ['ledger', { id: 1, amount: 20 }],
      ['ledger_low', { id: 1, amount: 20 }],
    ]);
  });

  it('a partition captured on its own follows DDL run on its parent', async () => {
    await h.client.query(
      `CREATE TABLE accounts (id int, email text, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
    );
    await h.client.query(`CREATE TABLE accounts_eu PARTITION OF accounts FOR VALUES IN ('eu')`);
    await h.capture(['accounts_eu'], { tables: { accounts_eu: { mask: ['email'] } } });
    await h.client.query(`ALTER TABLE accounts RENAME COLUMN email TO contact`);
    await h.client.query(`ALTER TABLE accounts ADD COLUMN ssn text`);
    await h.client.query(`INSERT INTO accounts_eu VALUES (1, 'eu-secret', 'eu', 'ssn-secret')`);
    const [row] = await h.changes(`table_name = 'accounts_eu'`);
    expect(row.data_after).toMatchObject({ contact: '[REDACTED]', ssn: '[REDACTED]' });
  });

  it('a type change rewriting every partition records each row once, under the table name, and nothing for tables without capture', async () => {
    await h.client.query(`CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')`);
    await h.client.query(`INSERT INTO events VALUES (1, 'eu', 1), (2, 'us', 2), (3, 'us', 3)`);
    await h.client.query(`CREATE TABLE plain (id int PRIMARY KEY, v int); INSERT INTO plain VALUES (1, 1)`);
    await h.client.query(`BEGIN; ALTER TABLE events ALTER COLUMN v TYPE text USING (v * 10)::text;
                          ALTER TABLE plain ALTER COLUMN v TYPE text USING 'x'; COMMIT`);
    const snapshots = await h.changes(`op = 'snapshot'`);
    expect(snapshots.map((c) => [c.table_name, c.table_pk, c.data_after])).toEqual(
      expect.arrayContaining([
        ['events', { id: 1, region: 'eu' }, { id: 1, region: 'eu', v: '10' }],
        ['events', { id: 2, region: 'us' }, { id: 2, region: 'us', v: '20' }],
        ['events', { id: 3, region: 'us' }, { id: 3, region: 'us', v: '30' }],
      ]),
    );
    expect(snapshots).toHaveLength(3);
    // a rewrite that fails, or is rolled back, records nothing
    await expect(h.client.query(`ALTER TABLE events ALTER COLUMN v TYPE int USING v::int / 0`)).rejects.toThrow(
      /division by zero/,
    );
    await h.client.query(`BEGIN; ALTER TABLE events ALTER COLUMN v TYPE int USING v::int; ROLLBACK`);
    expect(await h.changes(`op = 'snapshot'`)).toHaveLength(3);
  });

  it('captures writes that name a partition, including partitions created or attached later, under the table name', async () => {
    await h.client.query(`CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')`);
    await h.client.query(`CREATE TABLE events_as (id int, region text, v int, PRIMARY KEY (id, region))`);
    await h.client.query(`ALTER TABLE events ATTACH PARTITION events_as FOR VALUES IN ('as')`);
    await h.client.query(`INSERT INTO events VALUES (1, 'eu', 1)`);
    await h.client.query(`INSERT INTO events_eu VALUES (2, 'eu', 1)`);
    await h.client.query(`INSERT INTO events_us VALUES (3, 'us', 1)`);
    await h.client.query(`INSERT INTO events_as VALUES (4, 'as', 1)`);
    await h.client.query(`UPDATE events_us SET v = 2`);
    await h.client.query(`DELETE FROM events_as`);
    const changes = await h.changes();
    expect(changes.map((c) => [c.op, c.table_name, c.table_pk])).toEqual([
      ['insert', 'events', { id: 1, region: 'eu' }],
      ['insert', 'events', { id: 2, region: 'eu' }],
      ['insert', 'events', { id: 3, region: 'us' }],
      ['insert', 'events', { id: 4, region: 'as' }],
      ['update', 'events', { id: 3, region: 'us' }],
      ['delete', 'events', { id: 4, region: 'as' }],
    ]);
  });

  it('a detached partition is no longer recorded under the table name', async () => {
    await h.client.query(`ALTER TABLE events DETACH PARTITION events_eu`);
    await h.client.query(`INSERT INTO events_eu VALUES (9, 'eu', 1)`);
    expect(await h.changes()).toEqual([]);
    const { rows } = await h.client.query(
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'events_eu'::regclass AND tgname LIKE 'threadline%'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('a cross-partition UPDATE whose destination trigger skips a row fails clearly instead of recording a false key change', async () => {
    await h.client.query(`CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')`);
    await h.client.query(`INSERT INTO events VALUES (1, 'eu', 1), (2, 'eu', 1), (3, 'eu', 1)`);
    await h.client.query(
      `CREATE FUNCTION skip_two() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 2 THEN RETURN NULL; END IF; RETURN NEW; END $$`,
    );
    await h.client.query(`CREATE TRIGGER skipper BEFORE INSERT ON events_us FOR EACH ROW EXECUTE FUNCTION skip_two()`);
    await expect(h.client.query(`UPDATE events SET region = 'us'`)).rejects.toThrow(
      /changed 3 rows but produced 2 new rows.*cannot be paired/,
    );
    expect(await h.changes(`op = 'update'`)).toHaveLength(0);
    const { rows } = await h.client.query(`SELECT count(*)::int AS n FROM events WHERE region = 'eu'`);
    expect(rows[0].n).toBe(3);
    // a cross-partition UPDATE that moves every row pairs correctly
    await h.client.query(`UPDATE events SET region = 'us' WHERE id <> 2`);
    const updates = await h.changes(`op = 'update'`);
    expect(updates.map((c) => [c.previous_pk, c.table_pk])).toEqual([
      [
        { id: 1, region: 'eu' },
        { id: 1, region: 'us' },
      ],
      [
        { id: 3, region: 'eu' },
        { id: 3, region: 'us' },
      ],
    ]);
  });
});

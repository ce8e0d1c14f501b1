import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { auditSchemaSql } from '../src';

const month = { interval: 'month', ahead: 3 } as const;

/** The audit tables and their indexes and constraints, partitions and what an upgrade leaves beside them left out. */
const PARENTS = `
SELECT 'column' AS kind, c.relname || '.' || a.attname AS name, c.relkind::text || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS definition
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relname NOT LIKE '%\\_unpartitioned'
UNION ALL
SELECT 'constraint', c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition AND c.relname NOT LIKE '%\\_unpartitioned'
UNION ALL
SELECT 'index', x.relname, pg_get_indexdef(x.oid) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition
UNION ALL
SELECT 'sequence', s.relname, d.refobjid::regclass::text FROM pg_class s LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
WHERE s.relnamespace = 'public'::regnamespace AND s.relkind = 'S'
UNION ALL
SELECT 'grant', c.relname, coalesce(c.relacl::text, '') FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '%\\_unpartitioned'
UNION ALL
SELECT 'trigger', c.relname || '.' || t.tgname, '' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
ORDER BY 1, 2`;

/** `partitions upgrade` at the SQL level: start, copy in batches while writers go on, finish; abort; refusals. */
describe('moving an unpartitioned log into partitions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let owner: Client;
  let writer: Client;

  beforeEach(async () => {
    db = await createTestDatabase();
    owner = new Client({ connectionString: db.url });
    writer = new Client({ connectionString: db.url });
    await owner.connect();
    await writer.connect();
    await owner.query(auditSchemaSql('public').up);
    await owner.query(`CREATE TABLE items (id int PRIMARY KEY, v text);
      SELECT threadline_capture('public', 'items', 'threadline_audit_items', '{}')`);
  });
  afterEach(async () => {
    await owner.end();
    await writer.end();
    await db.drop();
  });

  const q = async <T = Record<string, unknown>>(sql: string, params?: unknown[]) =>
    (await owner.query(sql, params)).rows as T[];
  /** A transaction started `monthsAgo` months back with `n` changes, as the owner writes it (a simulated clock). */
  const writeAgo = (monthsAgo: number, n: number, startKnown = true) =>
    q(
      `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, now() - make_interval(months => $1)) RETURNING id, occurred_at)
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at, transaction_occurred_at)
       SELECT t.id, 'public', 'items', 'insert', jsonb_build_object('id', g), '{}', t.occurred_at, CASE WHEN $3 THEN t.occurred_at END
       FROM t, generate_series(1, $2) AS g`,
      [monthsAgo, n, startKnown],
    );
  /** Every stored row of both tables as text, partition key filled as the upgrade fills it. */
  const contents = async (suffix: string) =>
    (
      await q<{ r: string }>(
        `SELECT 't ' || t::text AS r FROM audit_transactions${suffix} AS t
         UNION ALL SELECT 'c ' || c.id || ' ' || c.transaction_id || ' ' || c.table_pk::text || ' ' || coalesce(c.data_after::text, '') || ' ' || c.captured_at
                || ' ' || coalesce(c.transaction_occurred_at, (SELECT t.occurred_at FROM audit_transactions${suffix} AS t WHERE t.id = c.transaction_id))
         FROM audit_changes${suffix} AS c ORDER BY 1`,
      )
    ).map((r) => r.r);
  const copyAll = async (batch: number, between: () => Promise<unknown> = async () => undefined) => {
    for (let i = 0; i < 1000; i++) {
      const [step] = await q<{ table_name: string; done: boolean }>(
        `SELECT * FROM threadline_partition_upgrade_copy($1)`,
        [batch],
      );
      await between();
      if (step.table_name === 'audit_changes' && step.done) return i;
    }
    throw new Error('the copy did not end');
  };

  it('moves the log while a writer inserts, updates and deletes; rows, ids, sealed contents and schema end as a fresh partitioned install', async () => {
    for (const ago of [14, 7, 7, 2]) await writeAgo(ago, 5);
    await writeAgo(20, 3, false); // changes stored before v12: no transaction start
    await q(`INSERT INTO items SELECT g, 'v' FROM generate_series(1, 30) AS g`);
    await q(`SELECT threadline_seal(1000)`);
    expect(await q(`SELECT threadline_partition_upgrade_start('month', 3) AS started`)).toEqual([{ started: true }]);
    // the same call again resumes; another interval is refused while this one is under way
    expect(await q(`SELECT threadline_partition_upgrade_start('month', 3) AS started`)).toEqual([{ started: false }]);
    await expect(q(`SELECT threadline_partition_upgrade_start('week', 3)`)).rejects.toThrow(
      'a partitioning upgrade by month (3 ahead) is under way, not by week (3 ahead)',
    );
    await expect(q(`SELECT * FROM threadline_partition_upgrade_finish()`)).rejects.toThrow(
      'has not copied every row yet',
    );
    let n = 100;
    const writes = async () => {
      n++;
      await writer.query(`INSERT INTO items VALUES ($1, 'new')`, [n]);
      await writer.query(`UPDATE items SET v = v || '!' WHERE id = $1`, [(n % 30) + 1]);
      // an action added to a transaction copied already or not yet (an UPDATE of its row), and a purge's delete
      await writer.query(`BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u"}', true)`);
      await writer.query(`UPDATE items SET v = 'acted' WHERE id = $1`, [(n % 30) + 1]);
      await writer.query(
        `SELECT threadline_record_action('acted', '{"type":"user","id":"u"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      );
      await writer.query(`COMMIT`);
      await writer.query(
        `DELETE FROM audit_changes WHERE id = (SELECT min(id) FROM audit_changes WHERE table_pk->>'id' = '3')`,
      );
    };
    const batches = await copyAll(4, writes);
    expect(batches).toBeGreaterThan(10);
    const before = await contents('');
    const [{ last }] = await q<{ last: string }>(`SELECT max(id)::text AS last FROM audit_changes`);
    expect(await q(`SELECT * FROM threadline_partition_upgrade_finish()`)).toEqual([
      { transactions: expect.any(String), changes: String(before.filter((r) => r.startsWith('c ')).length) },
    ]);
    expect(await contents('')).toEqual(before);
    expect(await contents('_unpartitioned')).toEqual(before);
    expect(await q(`SELECT relkind FROM pg_class WHERE relname IN ('audit_changes', 'audit_transactions')`)).toEqual([
      { relkind: 'p' },
      { relkind: 'p' },
    ]);
    // every change in the range of its transaction's start (none left in the default partitions), even those of v11
    expect(
      await q(
        `SELECT (SELECT count(*) FROM audit_changes_default) + (SELECT count(*) FROM audit_transactions_default) AS n`,
      ),
    ).toEqual([{ n: '0' }]);
    expect(await q(`SELECT count(*)::int AS n FROM audit_changes WHERE transaction_occurred_at IS NULL`)).toEqual([
      { n: 0 },
    ]);
    expect(await q(`SELECT period, ahead FROM audit_partitioning`)).toEqual([{ period: 'month', ahead: 3 }]);
    // capture goes on into the partitions, ids after the old ones
    await writer.query(`INSERT INTO items VALUES (9999, 'after')`);
    const [after] = await q<{ id: string; part: string }>(
      `SELECT id::text, tableoid::regclass::text AS part FROM audit_changes WHERE table_pk->>'id' = '9999'`,
    );
    expect(BigInt(after.id)).toBeGreaterThan(BigInt(last));
    expect(after.part).toMatch(/^audit_changes_p\d{8}$/);
    // the schema is the one a fresh install with capture.partitioning makes
    const fresh = await createTestDatabase();
    try {
      await fresh.query(auditSchemaSql('public', { partitioning: month }).up);
      await fresh.query(`CREATE TABLE items (id int PRIMARY KEY, v text);
        SELECT threadline_capture('public', 'items', 'threadline_audit_items', '{}')`);
      expect(await q(PARENTS)).toEqual(await fresh.query(PARENTS));
    } finally {
      await fresh.drop();
    }
  });

  it("the app's role can neither run the upgrade nor steer it, whatever ALTER DEFAULT PRIVILEGES grants", async () => {
    const role = `app_${Date.now()}`;
    await q(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT SELECT ON audit_changes, audit_transactions TO ${role};
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${role}`);
    try {
      const app = new Client({ connectionString: db.url.replace(/\/\/[^@]*@/, `//${role}:pw@`) });
      await app.connect();
      try {
        await expect(app.query(`SELECT threadline_partition_upgrade_start('month', 3)`)).rejects.toThrow(
          'permission denied for function threadline_partition_upgrade_start',
        );
        await writeAgo(2, 3);
        await q(`SELECT threadline_partition_upgrade_start('month', 3)`);
        await expect(app.query(`UPDATE audit_partition_upgrade SET changes_done = true`)).rejects.toThrow(
          'permission denied for table audit_partition_upgrade',
        );
        await expect(app.query(`DELETE FROM audit_changes_next`)).rejects.toThrow(
          'permission denied for table audit_changes_next',
        );
        for (const step of ['copy(10)', 'finish()', 'abort()'])
          await expect(app.query(`SELECT * FROM threadline_partition_upgrade_${step}`)).rejects.toThrow(
            'permission denied',
          );
        // the copies have the tables' grants, nothing more: the app's role reads them
        expect(await app.query(`SELECT count(*)::int AS n FROM audit_changes_next`)).toMatchObject({
          rows: [{ n: 0 }],
        });
      } finally {
        await app.end();
      }
    } finally {
      await q(`SELECT threadline_partition_upgrade_abort()`);
      await q(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${role}; DROP OWNED BY ${role}; DROP ROLE ${role}`,
      );
    }
  });

  it('grants of ALTER DEFAULT PRIVILEGES give the app no way into the copy, capture or the change ids', async () => {
    const role = `app_${Date.now()}`;
    const hostile = await createTestDatabase();
    const owned = new Client({ connectionString: hostile.url });
    await owned.connect();
    const app = new Client({ connectionString: hostile.url.replace(/\/\/[^@]*@/, `//${role}:pw@`) });
    try {
      await owned.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw';
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ${role};
        ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO ${role}`);
      await owned.query(auditSchemaSql('public').up);
      await owned.query(`CREATE TABLE items (id int PRIMARY KEY, v text);
        SELECT threadline_capture('public', 'items', 'threadline_audit_items', '{}');
        INSERT INTO items VALUES (1, 'a'), (2, 'b'); SELECT threadline_partition_upgrade_start('month', 3)`);
      await app.connect();
      // the upgrade's trigger function and capture's, fired from a trigger on a table of the app's own
      await app.query(`CREATE TEMP TABLE mine (LIKE audit_changes)`);
      await expect(
        app.query(`CREATE TRIGGER forge AFTER INSERT ON mine REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
          EXECUTE FUNCTION threadline_partition_upgrade_copy_rows('audit_changes')`),
      ).rejects.toThrow('permission denied for function threadline_partition_upgrade_copy_rows');
      await expect(
        app.query(`CREATE TEMP TABLE items (id int PRIMARY KEY, v text);
          CREATE TRIGGER forge AFTER INSERT ON pg_temp.items REFERENCING NEW TABLE AS threadline_new FOR EACH STATEMENT
          EXECUTE FUNCTION public.threadline_audit_items()`),
      ).rejects.toThrow('permission denied for function public.threadline_audit_items');
      await expect(app.query(`SELECT setval(pg_get_serial_sequence('audit_changes', 'id'), 1)`)).rejects.toThrow(
        'permission denied for sequence',
      );
      // the owner could still attach it elsewhere: the function itself refuses a table that is not an audit table
      await owned.query(`CREATE TABLE decoy (LIKE audit_changes);
        CREATE TRIGGER forge AFTER INSERT ON decoy REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION threadline_partition_upgrade_copy_rows('audit_changes')`);
      await expect(owned.query(`INSERT INTO decoy SELECT * FROM audit_changes`)).rejects.toThrow(
        "runs only as the partitioning upgrade's trigger on the audit tables",
      );
      await owned.query(`DROP TABLE decoy`);
      for (;;) {
        const [step] = (await owned.query(`SELECT * FROM threadline_partition_upgrade_copy(100)`)).rows;
        if (step.table_name === 'audit_changes' && step.done) break;
      }
      await owned.query(`SELECT * FROM threadline_partition_upgrade_finish()`);
      await expect(app.query(`SELECT setval('audit_changes_id_seq', 1)`)).rejects.toThrow(
        'permission denied for sequence audit_changes_id_seq',
      );
    } finally {
      await app.end().catch(() => undefined);
      await owned.end();
      await hostile.drop();
      await q(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  });

  it('refuses, clearly, an interval that needs more locks than the server has; keeps a change of no transaction', async () => {
    const [{ locks, indexes }] = await q<{ locks: string; indexes: string }>(
      `SELECT current_setting('max_locks_per_transaction')::bigint * (current_setting('max_connections')::bigint
                + current_setting('max_prepared_transactions')::bigint) AS locks,
              (SELECT count(*) FROM pg_index WHERE indrelid = 'audit_changes'::regclass) AS indexes`,
    );
    const days = Math.ceil(Number(locks) / 2 / (2 * (2 + Number(indexes)))) + 10;
    await q(
      `INSERT INTO audit_transactions (txid, occurred_at) SELECT 1, now() - make_interval(days => g) FROM generate_series(1, $1) AS g`,
      [days],
    );
    await expect(q(`SELECT threadline_partition_upgrade_start('day', 3)`)).rejects.toThrow(
      /the audit log spans \d+ intervals of a day: an upgrade creating a partition of each in one transaction needs about \d+ locks/,
    );
    expect(await q(`SELECT to_regclass('audit_partition_upgrade') AS t`)).toEqual([{ t: null }]);
    // a change whose transaction is gone and which has no start (verification reports it): moved as it is
    await q(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
      VALUES (gen_random_uuid(), 'public', 'items', 'insert', '{"id": 1}', NULL)`);
    await q(`SELECT threadline_partition_upgrade_start('month', 3)`);
    await copyAll(500);
    await q(`SELECT * FROM threadline_partition_upgrade_finish()`);
    expect(
      await q(
        `SELECT count(*)::int AS n FROM audit_changes WHERE table_pk = '{"id": 1}' AND transaction_occurred_at = captured_at`,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('abort leaves the tables as they were; a finished upgrade cannot start again; arguments are checked', async () => {
    await writeAgo(3, 4);
    const schema = await q(PARENTS);
    await q(`SELECT threadline_partition_upgrade_start('week', 4)`);
    await copyAll(2);
    expect(await q(`SELECT threadline_partition_upgrade_abort() AS aborted`)).toEqual([{ aborted: true }]);
    expect(await q(PARENTS)).toEqual(schema);
    expect(await q(`SELECT threadline_partition_upgrade_abort() AS aborted`)).toEqual([{ aborted: false }]);
    await expect(q(`SELECT * FROM threadline_partition_upgrade_copy(10)`)).rejects.toThrow(
      'no partitioning upgrade is under way',
    );
    await expect(q(`SELECT threadline_partition_upgrade_start('year', 3)`)).rejects.toThrow(
      'a partitioning upgrade takes day, week or month and 3 to 24 intervals ahead (got year, 3)',
    );
    await q(`SELECT threadline_partition_upgrade_start('day', 3)`);
    await copyAll(1000);
    await q(`SELECT * FROM threadline_partition_upgrade_finish()`);
    await expect(q(`SELECT threadline_partition_upgrade_start('day', 3)`)).rejects.toThrow(
      'the audit tables of schema public are partitioned already',
    );
  });
});

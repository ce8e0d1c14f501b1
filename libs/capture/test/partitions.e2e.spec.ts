import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { auditSchemaSql, describeTables, generateTriggerSql, resolveCaptureOptions, tableOptionsFor } from '../src';

const month = { interval: 'month', ahead: 3 } as const;

/** Partitioned storage (capture.partitioning): the install, maintenance ahead of the clock, the default partition. */
describe('partitioned storage (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: Client;

  beforeEach(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  const q = async <T = Record<string, unknown>>(sql: string, params?: unknown[]) =>
    (await client.query(sql, params)).rows as T[];
  /** Each partition as `table:partition from..to` (UTC dates), the default partitions as `table:default`. */
  const partitions = async () =>
    (
      await q<{ p: string }>(
        `SELECT CASE WHEN is_default THEN table_name || ':default'
                ELSE partition_name || ' ' || to_char(from_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '..' || to_char(to_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END AS p
         FROM threadline_partitions() ORDER BY table_name, from_at NULLS FIRST`,
      )
    ).map((r) => r.p);
  /** One audit transaction started at `at` with one change, written as the owner (a simulated clock). */
  const writeAt = (at: string, id = 1) =>
    q(
      `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, $1::timestamptz) RETURNING id, occurred_at)
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at, transaction_occurred_at)
       SELECT t.id, 'public', 'items', 'insert', jsonb_build_object('id', $2::int), '{}', t.occurred_at, t.occurred_at FROM t`,
      [at, id],
    );
  const inDefault = async () =>
    (
      await q<{ n: number }>(
        `SELECT ((SELECT count(*) FROM audit_transactions_default) + (SELECT count(*) FROM audit_changes_default))::int AS n`,
      )
    )[0].n;

  it('installs both tables as range partitions, the current interval and 3 ahead, idempotently', async () => {
    await client.query(`SET TIME ZONE 'Pacific/Kiritimati'; SET DateStyle = 'SQL, DMY'`);
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    const kinds = await q<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class WHERE relname IN ('audit_changes', 'audit_transactions') ORDER BY 1`,
    );
    expect(kinds.map((k) => `${k.relname}:${k.relkind}`)).toEqual(['audit_changes:p', 'audit_transactions:p']);
    const [{ first }] = await q<{ first: string }>(
      `SELECT to_char(date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC', 'YYYYMMDD') AS first`,
    );
    const listed = await partitions();
    expect(listed).toHaveLength(10);
    expect(listed[0]).toBe('audit_changes:default');
    expect(listed[1]).toMatch(new RegExp(`^audit_changes_p${first} `));
    expect(listed[5]).toBe('audit_transactions:default');
    // primary keys hold the partition key; the change id comes from a sequence; 001's index is there
    const keys = await q<{ def: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid IN ('audit_changes'::regclass, 'audit_transactions'::regclass) ORDER BY 1`,
    );
    expect(keys.map((k) => k.def.replace(/^.* USING btree /, ''))).toEqual(
      expect.arrayContaining(['(id, transaction_occurred_at)', '(id, occurred_at)', '(transaction_id)']),
    );
    const before = await q(`SELECT relname FROM pg_class WHERE relname LIKE 'audit_%' ORDER BY 1`);
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    expect(await q(`SELECT relname FROM pg_class WHERE relname LIKE 'audit_%' ORDER BY 1`)).toEqual(before);
  });

  it('captures through the generated trigger into the partition of the start of its transaction', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    await client.query(`CREATE TABLE items (id int PRIMARY KEY, name text)`);
    const resolved = resolveCaptureOptions({});
    const [table] = await describeTables({ query: q }, [{ schema: 'public', table: 'items' }]);
    await client.query(generateTriggerSql(table!, tableOptionsFor(resolved, 'public', 'items'), resolved).up);
    await client.query(`BEGIN; INSERT INTO items VALUES (1, 'a'); UPDATE items SET name = 'b'; COMMIT`);
    const rows = await q<{ part: string; same: boolean }>(
      `SELECT c.tableoid::regclass::text AS part, c.transaction_occurred_at = t.occurred_at AS same
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id ORDER BY c.id`,
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.same && /^audit_changes_p\d{8}$/.test(r.part))).toBe(true);
    expect(await inDefault()).toBe(0);
  });

  it('takes a write past the last partition into the default partition, and maintenance moves it into a partition of its own', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    await writeAt('2031-05-17T10:00:00Z', 7);
    expect(await inDefault()).toBe(2);
    const [{ created }] = await q<{ created: number }>(`SELECT threadline_partitions_maintain() AS created`);
    expect(created).toBe(2);
    expect(await inDefault()).toBe(0);
    const [moved] = await q<{ part: string; id: number }>(
      `SELECT tableoid::regclass::text AS part, (table_pk->>'id')::int AS id FROM audit_changes`,
    );
    expect(moved).toEqual({ part: 'audit_changes_p20310501', id: 7 });
    expect(await partitions()).toContain('audit_transactions_p20310501 2031-05-01..2031-06-01');
    // idempotent
    expect((await q<{ created: number }>(`SELECT threadline_partitions_maintain() AS created`))[0].created).toBe(0);
  });

  it('over 24 months of a simulated clock, maintenance daily, a 100-day outage in the middle: no insert fails, none stays in the default partition', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    let failed = 0;
    let written = 0;
    const start = Date.parse('2027-01-01T00:00:00Z');
    for (let day = 0; day < 730; day++) {
      const at = new Date(start + day * 86_400_000 + 13 * 3_600_000).toISOString();
      if (day < 300 || day >= 400) await q(`SELECT threadline_partitions_maintain_at($1)`, [at]);
      if (day === 399) expect(await inDefault()).toBeGreaterThan(0);
      await writeAt(at, day).then(
        () => written++,
        () => failed++,
      );
      if (day < 300 || day >= 400) expect(await inDefault()).toBe(0);
    }
    expect({ failed, written }).toEqual({ failed: 0, written: 730 });
    const [{ n }] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM threadline_partitions() WHERE NOT is_default`,
    );
    // the install's month (now) and its 3 ahead, then the 24 simulated months and 3 ahead of the last
    const [{ installed }] = await q<{ installed: number }>(
      `SELECT count(*)::int AS installed FROM generate_series(date_trunc('month', now(), 'UTC'), date_trunc('month', now(), 'UTC') + interval '3 months', interval '1 month') AS m
       WHERE m < '2027-01-01T00:00:00Z'`,
    );
    expect(n).toBe(2 * (installed + 24 + 3));
    // every change sits in the partition of its month
    const misplaced = await q(
      `SELECT 1 FROM audit_changes c WHERE c.tableoid::regclass::text <> 'audit_changes_p' || to_char(date_trunc('month', c.transaction_occurred_at, 'UTC') AT TIME ZONE 'UTC', 'YYYYMMDD')`,
    );
    expect(misplaced).toEqual([]);
  });

  it('cuts weeks on Monday and days at midnight UTC, whatever the session time zone and date style', async () => {
    for (const [interval, at, expected] of [
      [
        'week',
        '2027-03-03T23:30:00-08:00',
        ['audit_changes_p20270301 2027-03-01..2027-03-08', 'audit_changes_p20270322 2027-03-22..2027-03-29'],
      ],
      [
        'day',
        '2027-12-31T23:59:59.999999Z',
        ['audit_changes_p20271231 2027-12-31..2028-01-01', 'audit_changes_p20280103 2028-01-03..2028-01-04'],
      ],
    ] as const) {
      const other = await createTestDatabase();
      const c = new Client({ connectionString: other.url });
      await c.connect();
      try {
        await c.query(`SET TIME ZONE 'America/St_Johns'; SET DateStyle = 'German'; SET IntervalStyle = 'sql_standard'`);
        await c.query(auditSchemaSql('public', { partitioning: { interval, ahead: 3 } }).up);
        await c.query(`SELECT threadline_partitions_maintain_at($1)`, [at]);
        const { rows } = await c.query(
          `SELECT partition_name || ' ' || to_char(from_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '..' || to_char(to_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS p
           FROM threadline_partitions() WHERE table_name = 'audit_changes' AND from_at >= $1::timestamptz - interval '8 days' AND NOT is_default ORDER BY from_at`,
          [at],
        );
        expect(rows[0].p).toBe(expected[0]);
        expect(rows.at(-1).p).toBe(expected[1]);
      } finally {
        await c.end();
        await other.drop();
      }
    }
  });

  it('refuses what it cannot do, saying why: bad times, another interval, a squatted name, a log already in one table', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    await expect(q(`SELECT threadline_partitions_maintain_at(NULL)`)).rejects.toThrow(/needs a finite time/);
    await expect(q(`SELECT threadline_partitions_maintain_at('infinity')`)).rejects.toThrow(/needs a finite time/);
    await expect(q(auditSchemaSql('public', { partitioning: { interval: 'week', ahead: 3 } }).up)).rejects.toThrow(
      /the audit tables are partitioned by month, not by week/,
    );
    // names are predictable: a table made ahead under one gets the partition a random tail instead, with a warning
    await client.query(`CREATE TABLE audit_changes_p20400101 (x int)`);
    const warnings: string[] = [];
    client.on('notice', (n) => warnings.push(n.message ?? ''));
    expect((await q<{ n: number }>(`SELECT threadline_partitions_maintain_at('2040-01-15T00:00:00Z') AS n`))[0].n).toBe(
      8,
    );
    expect(await partitions()).toContainEqual(
      expect.stringMatching(/^audit_changes_p20400101_[0-9a-f]{8} 2040-01-01\.\.2040-02-01$/),
    );
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /a table named public.audit_changes_p20400101 exists and is not a partition of audit_changes; the partition from .* is named audit_changes_p20400101_[0-9a-f]{8} instead/,
      ),
    );
    // a type under the name (a domain: no relation) is taken too
    await client.query(`CREATE DOMAIN audit_transactions_p20400601 AS int`);
    expect((await q<{ n: number }>(`SELECT threadline_partitions_maintain_at('2040-05-15T00:00:00Z') AS n`))[0].n).toBe(
      8,
    );
    expect(await partitions()).toContainEqual(
      expect.stringMatching(/^audit_transactions_p20400601_[0-9a-f]{8} 2040-06-01\.\.2040-07-01$/),
    );
    // at repeatable read the move would miss rows committed while maintenance waited for its locks: refused
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await expect(q(`SELECT threadline_partitions_maintain_at('2041-01-15T00:00:00Z')`)).rejects.toThrow(
      /partition maintenance runs at READ COMMITTED, not repeatable read/,
    );
    await client.query('ROLLBACK');
    // with nothing to make it takes no lock and runs at any level (an install at repeatable read re-run)
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect((await q<{ n: number }>(`SELECT threadline_partitions_maintain_at('2040-01-15T00:00:00Z') AS n`))[0].n).toBe(
      0,
    );
    await client.query('ROLLBACK');
    // the install SQL takes what capture.partitioning takes, with the same defaults and refusals
    expect(auditSchemaSql('public', { partitioning: { interval: 'month' } }).up).toMatch(
      /threadline_partitioning_set"\('month', 3\)/,
    );
    expect(() => auditSchemaSql('public', { partitioning: { interval: 'year' as 'month', ahead: 2 } })).toThrow(
      /auditSchemaSql: invalid partitioning: partitioning.interval must be 'day', 'week' or 'month' .*; partitioning.ahead must be a whole number of intervals from 3 to 24/,
    );

    const plain = await createTestDatabase();
    const c = new Client({ connectionString: plain.url });
    await c.connect();
    try {
      await c.query(auditSchemaSql('public').up);
      // an empty v11/v12 schema made partitioned keeps the grants its tables had (the app role's SELECT)
      const reader = `reader_${Math.random().toString(36).slice(2, 8)}`;
      await c.query(`CREATE ROLE ${reader}; GRANT SELECT ON audit_changes, audit_transactions TO ${reader}`);
      try {
        const copy = await createTestDatabase();
        const cc = new Client({ connectionString: copy.url });
        await cc.connect();
        try {
          await cc.query(auditSchemaSql('public').up);
          await cc.query(`GRANT SELECT ON audit_changes, audit_transactions TO ${reader}`);
          await cc.query(auditSchemaSql('public', { partitioning: month }).up);
          const [grants] = (
            await cc.query(
              `SELECT c.relkind::text AS kind, has_table_privilege($1, 'audit_changes', 'SELECT') AS changes,
                      has_table_privilege($1, 'audit_transactions', 'SELECT') AS transactions
               FROM pg_class c WHERE c.oid = 'audit_changes'::regclass`,
              [reader],
            )
          ).rows;
          expect(grants).toEqual({ kind: 'p', changes: true, transactions: true });
        } finally {
          await cc.end();
          await copy.drop();
        }
      } finally {
        await c.query(`REVOKE ALL ON audit_changes, audit_transactions FROM ${reader}; DROP ROLE ${reader}`);
      }
      await c.query(`INSERT INTO audit_transactions (txid) VALUES (1)`);
      await expect(c.query(auditSchemaSql('public', { partitioning: month }).up)).rejects.toThrow(
        /capture.partitioning is set, but the audit tables of schema public already hold rows in unpartitioned tables/,
      );
      // an unpartitioned install does nothing on maintenance
      expect((await c.query(`SELECT threadline_partitions_maintain() AS n`)).rows[0].n).toBe(0);
    } finally {
      await c.end();
      await plain.drop();
    }
  });

  it('lets the app role run maintenance for now only, never at a time of its choosing, nor create partitions', async () => {
    const role = `app_${Math.random().toString(36).slice(2, 8)}`;
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT USAGE ON SCHEMA public TO ${role}`);
    // a team's default privileges give the role every new table: partitions (written only through the parent) keep none
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    );
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = 'pw';
      const app = new Client({ connectionString: url.toString() });
      await app.connect();
      try {
        await expect(app.query(`SELECT threadline_partitions_maintain()`)).rejects.toThrow(/permission denied/);
        await expect(app.query(`SELECT * FROM threadline_partitions()`)).rejects.toThrow(/permission denied/);
        await client.query(
          `GRANT EXECUTE ON FUNCTION threadline_partitions(), threadline_partitions_maintain() TO ${role}`,
        );
        await writeAt('2049-01-01T00:00:00Z');
        // the status (with the default partitions' rows, which the role may not read itself) as docs/trust.md grants it
        expect(
          (
            await app.query(
              `SELECT table_name, default_rows::int AS n FROM threadline_partitions() WHERE is_default ORDER BY 1`,
            )
          ).rows,
        ).toEqual([
          { table_name: 'audit_changes', n: 1 },
          { table_name: 'audit_transactions', n: 1 },
        ]);
        await expect(app.query(`SELECT count(*) FROM audit_changes_default`)).rejects.toThrow(/permission denied/);
        await app.query(`SET default_tablespace = 'pg_global'`).catch(() => undefined);
        expect((await app.query(`SELECT threadline_partitions_maintain() AS n`)).rows[0].n).toBe(2);
        const [made] = await q<{ name: string }>(
          `SELECT partition_name AS name FROM threadline_partitions() WHERE table_name = 'audit_transactions' AND from_at = '2049-01-01T00:00:00Z'`,
        );
        await expect(
          app.query(`INSERT INTO ${made.name} (txid, occurred_at) VALUES (7, '2049-01-02T00:00:00Z')`),
        ).rejects.toThrow(/permission denied/);
        expect(
          await q(
            `SELECT relname FROM pg_class WHERE relname ~ '^audit_(transactions|changes)_(p|default)' AND relkind = 'r'
               AND (has_table_privilege($1, oid, 'INSERT') OR has_table_privilege($1, oid, 'DELETE') OR has_table_privilege($1, oid, 'SELECT'))`,
            [role],
          ),
        ).toEqual([]);
        await expect(app.query(`SELECT threadline_partitions_maintain_at('2045-01-01T00:00:00Z')`)).rejects.toThrow(
          /permission denied/,
        );
        await expect(
          app.query(
            `SELECT threadline_partition_create('audit_changes', '2045-01-01T00:00:00Z', '2045-02-01T00:00:00Z')`,
          ),
        ).rejects.toThrow(/permission denied/);
      } finally {
        await app.end();
      }
    } finally {
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${role}; DROP OWNED BY ${role}; DROP ROLE ${role}`,
      );
    }
  });

  it('waits for a writer of the default partition and moves its row once it commits; two maintainers at once create each partition once', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    const writer = new Client({ connectionString: db.url });
    const other = new Client({ connectionString: db.url });
    await writer.connect();
    await other.connect();
    try {
      await writer.query(`BEGIN`);
      await writer.query(
        `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (1, '2033-03-03T00:00:00Z') RETURNING id, occurred_at)
         INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
         SELECT t.id, 'public', 'items', 'insert', '{"id": 1}', t.occurred_at FROM t`,
      );
      const first = q<{ n: number }>(`SELECT threadline_partitions_maintain_at('2033-03-01T00:00:00Z') AS n`);
      const second = other.query(`SELECT threadline_partitions_maintain_at('2033-03-01T00:00:00Z') AS n`);
      await new Promise((r) => setTimeout(r, 500));
      await writer.query(`COMMIT`);
      const counts = [(await first)[0].n, (await second).rows[0].n].sort();
      expect(counts).toEqual([0, 8]);
      expect(await inDefault()).toBe(0);
      expect(
        (await q<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM audit_changes`)).map((r) => r.part),
      ).toEqual(['audit_changes_p20330301']);
    } finally {
      await writer.end();
      await other.end();
    }
  });

  it('holds a writer at the parent, not the default partition, while the partition it needs is made: it goes on into it, nothing fails', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    // the current month's partitions gone (an outage, or a month nobody made): writes go to the default partitions
    for (const { name } of await q<{ name: string }>(
      `SELECT partition_name AS name FROM threadline_partitions() WHERE NOT is_default AND from_at <= now() AND to_at > now()`,
    ))
      await client.query(`DROP TABLE ${name}`);
    const now = new Date().toISOString();
    await writeAt(now, 1);
    const maintainer = new Client({ connectionString: db.url });
    const writer = new Client({ connectionString: db.url });
    await maintainer.connect();
    await writer.connect();
    try {
      await maintainer.query('BEGIN');
      expect((await maintainer.query(`SELECT threadline_partitions_maintain_at(now()) AS n`)).rows[0].n).toBe(2);
      const write = writer.query(
        `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (2, $1::timestamptz) RETURNING id, occurred_at)
         INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
         SELECT t.id, 'public', 'items', 'insert', '{"id": 2}', t.occurred_at FROM t`,
        [now],
      );
      await new Promise((r) => setTimeout(r, 400));
      await maintainer.query('COMMIT');
      await write; // before: "new row for relation audit_transactions_default violates partition constraint"
      expect(await inDefault()).toBe(0);
      const parts = await q<{ part: string }>(`SELECT DISTINCT tableoid::regclass::text AS part FROM audit_changes`);
      expect(parts).toEqual([{ part: expect.stringMatching(/^audit_changes_p\d{6}01$/) }]);
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM audit_changes`))[0].n).toBe(2);
    } finally {
      await maintainer.end();
      await writer.end();
    }
  });

  it('gives way to a writer that holds audit_changes and waits for audit_transactions: no deadlock, the writer commits', async () => {
    await client.query(auditSchemaSql('public', { partitioning: month }).up);
    for (const { name } of await q<{ name: string }>(
      `SELECT partition_name AS name FROM threadline_partitions() WHERE NOT is_default AND from_at <= now() AND to_at > now()`,
    ))
      await client.query(`DROP TABLE ${name}`);
    const now = new Date().toISOString();
    const writer = new Client({ connectionString: db.url });
    const maintainer = new Client({ connectionString: db.url });
    await writer.connect();
    await maintainer.connect();
    try {
      // capture's order: a change row first (its statement holds audit_changes), then the transaction row
      await writer.query('BEGIN');
      const [{ id }] = (await writer.query(`SELECT gen_random_uuid() AS id`)).rows;
      await writer.query(
        `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
         VALUES ($1, 'public', 'items', 'insert', '{"id": 1}', $2)`,
        [id, now],
      );
      const maintained = maintainer.query(`SELECT threadline_partitions_maintain_at(now()) AS n`);
      await new Promise((r) => setTimeout(r, 300));
      // before: "deadlock detected" here or in maintenance, one of the two aborted
      await writer.query(`INSERT INTO audit_transactions (id, txid, occurred_at) VALUES ($1, 1, $2)`, [id, now]);
      await writer.query('COMMIT');
      expect((await maintained).rows[0].n).toBe(2);
      expect(await inDefault()).toBe(0);
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM audit_changes`))[0].n).toBe(1);
    } finally {
      await writer.end();
      await maintainer.end();
    }
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureOptions, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { CompletenessError, CompletenessService, ThreadlineProofModule } from '../src';

const CAPTURE: CaptureOptions = {
  tables: { people: { mask: ['email'], exclude: ['secret'], exceptColumns: ['seen_at'] }, tags: {} },
};

/** Runs `sql` as an app would: in a transaction with an actor, under the given session TimeZone. */
async function audited(url: string, sql: string, timeZone = 'UTC'): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET TimeZone = '${timeZone}'`);
    await client.query('BEGIN');
    await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"1"}', true)`);
    await client.query(sql);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

describe('completeness: every current row is where its history ends (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let completeness: CompletenessService;

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE people (id int PRIMARY KEY, name text, email text, secret text, score numeric,
                      born timestamptz, seen_at timestamptz);
                    CREATE TABLE tags (post_id int, tag text, note text, PRIMARY KEY (post_id, tag))`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot(CAPTURE),
        ThreadlineProofModule.forRoot({}),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql()).up);
    completeness = app.get(CompletenessService);
    // Written under Tokyo time: the check (UTC) must still see the same instants.
    await audited(
      db.url,
      `INSERT INTO people SELECT g, 'name ' || g, 'p' || g || '@x', 's', 1.50, '2026-01-02 03:04:05.123456+09', now()
       FROM generate_series(1, 7) g;
       INSERT INTO tags VALUES (1, 'a', 'x'), (1, 'b', 'y'), (2, 'a', 'z')`,
      'Asia/Tokyo',
    );
  });
  afterEach(async () => {
    await app.close();
    await db.drop();
  });

  it('finds nothing missing when every write was captured, across batches and session time zones', async () => {
    await audited(
      db.url,
      `UPDATE people SET name = 'renamed', score = 2 WHERE id = 2; DELETE FROM people WHERE id = 7`,
    );
    const report = await completeness.check({ batchSize: 2 });
    expect(report.ok).toBe(true);
    expect(report.tables).toEqual([
      { table: 'public.people', rows: 6, withoutHistory: 0, divergent: 0, missing: 0, gaps: [] },
      { table: 'public.tags', rows: 3, withoutHistory: 0, divergent: 0, missing: 0, gaps: [] },
    ]);
  });

  it('finds the gap a disabled trigger leaves: changed values, rows without history, a key moved', async () => {
    await db.query(`ALTER TABLE people DISABLE TRIGGER USER; ALTER TABLE tags DISABLE TRIGGER USER`);
    await db.query(`UPDATE people SET name = 'quiet', score = 1.500 WHERE id = 3;
                    UPDATE people SET email = 'changed@x', secret = 'changed', seen_at = now() WHERE id = 4;
                    UPDATE people SET born = born + interval '1 microsecond' WHERE id = 5;
                    INSERT INTO people (id, name) VALUES (8, 'unseen');
                    UPDATE people SET id = 9 WHERE id = 6;
                    UPDATE tags SET note = 'quiet' WHERE post_id = 1 AND tag = 'b'`);
    await db.query(`ALTER TABLE people ENABLE TRIGGER USER; ALTER TABLE tags ENABLE TRIGGER USER`);
    const report = await completeness.check({ batchSize: 2 });
    expect(report.ok).toBe(false);
    const [people, tags] = report.tables;
    expect(people).toMatchObject({ rows: 8, withoutHistory: 2, divergent: 2, missing: 1 });
    expect(people.gaps).toEqual([
      { key: { id: 3 }, problem: 'divergent', columns: ['name', 'score'] },
      { key: { id: 5 }, problem: 'divergent', columns: ['born'] },
      { key: { id: 8 }, problem: 'no_history' },
      { key: { id: 9 }, problem: 'no_history' },
      { key: { id: 6 }, problem: 'missing' },
    ]);
    expect(tags).toMatchObject({
      rows: 3,
      divergent: 1,
      gaps: [{ key: { post_id: 1, tag: 'b' }, problem: 'divergent', columns: ['note'] }],
    });
  });

  it('reports a row whose latest captured change is a delete, and checks one table on request', async () => {
    await audited(db.url, `DELETE FROM people WHERE id = 1`);
    await db.query(
      `ALTER TABLE people DISABLE TRIGGER USER; INSERT INTO people (id, name) VALUES (1, 'back'); ALTER TABLE people ENABLE TRIGGER USER`,
    );
    const report = await completeness.check({ tables: ['people'] });
    expect(report.tables).toHaveLength(1);
    expect(report.tables[0].gaps).toEqual([{ key: { id: 1 }, problem: 'latest_is_delete' }]);
  });

  it('finds rows deleted or truncated while the trigger was off', async () => {
    await db.query(`ALTER TABLE people DISABLE TRIGGER USER; DELETE FROM people WHERE id IN (2, 4);
                    ALTER TABLE people ENABLE TRIGGER USER;
                    ALTER TABLE tags DISABLE TRIGGER USER; TRUNCATE tags; ALTER TABLE tags ENABLE TRIGGER USER`);
    const report = await completeness.check({ batchSize: 2 });
    expect(report.ok).toBe(false);
    expect(report.tables).toEqual([
      {
        table: 'public.people',
        rows: 5,
        withoutHistory: 0,
        divergent: 0,
        missing: 2,
        gaps: [
          { key: { id: 2 }, problem: 'missing' },
          { key: { id: 4 }, problem: 'missing' },
        ],
      },
      expect.objectContaining({ table: 'public.tags', rows: 0, missing: 3 }),
    ]);
    // a recorded TRUNCATE and a recorded DELETE are history, not gaps
    await audited(db.url, `TRUNCATE tags; DELETE FROM people WHERE id = 1`);
    await db.query(`ALTER TABLE people DISABLE TRIGGER USER; DELETE FROM people WHERE id IN (3);
                    ALTER TABLE people ENABLE TRIGGER USER`);
    const after = await completeness.check({ listLimit: 1 });
    expect(after.tables).toEqual([
      expect.objectContaining({ rows: 3, missing: 3, gaps: [{ key: { id: 2 }, problem: 'missing' }] }),
      expect.objectContaining({ rows: 0, missing: 0, divergent: 0, gaps: [] }),
    ]);
  });

  it('on a partitioned table, a TRUNCATE of one partition excuses only the rows its bounds held', async () => {
    await db.query(`CREATE TABLE orders (id int, region text, note text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
                    CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
                    CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
                    SELECT threadline_capture('public', 'orders', 'threadline_audit_orders', '{}')`);
    await audited(db.url, `INSERT INTO orders VALUES (1, 'eu', 'a'), (2, 'eu', 'b'), (11, 'us', 'c'), (12, 'us', 'd')`);
    await audited(db.url, `TRUNCATE orders_eu`);
    const clean = await completeness.check({ tables: ['orders'] });
    expect(clean.tables[0]).toMatchObject({ withoutHistory: 0, divergent: 0, missing: 0 });
    expect(clean.ok).toBe(true);
    const [truncate] = await db.query<{ data_after: unknown }>(
      `SELECT data_after FROM audit_changes WHERE op = 'truncate'`,
    );
    expect(truncate.data_after).toEqual({
      rowCount: 2,
      partition: 'public.orders_eu',
      bounds: "((region IS NOT NULL) AND (region = 'eu'::text))",
    });
    // with capture off: a row of the other partition deleted, one of the truncated partition put back
    await db.query(`ALTER TABLE orders DISABLE TRIGGER USER; ALTER TABLE orders_eu DISABLE TRIGGER USER; ALTER TABLE orders_us DISABLE TRIGGER USER;
                    DELETE FROM orders WHERE id = 11; INSERT INTO orders VALUES (1, 'eu', 'a');
                    ALTER TABLE orders ENABLE TRIGGER USER; ALTER TABLE orders_eu ENABLE TRIGGER USER; ALTER TABLE orders_us ENABLE TRIGGER USER`);
    const report = await completeness.check({ tables: ['orders'] });
    expect(report.tables[0]).toMatchObject({ rows: 2, divergent: 1, missing: 1 });
    expect(report.tables[0].gaps).toEqual([
      { key: { id: 1, region: 'eu' }, problem: 'latest_is_delete' },
      { key: { id: 11, region: 'us' }, problem: 'missing' },
    ]);
    // partitions renamed, even swapped, since: the recorded bounds still say which rows the truncate took
    await db.query(`ALTER TABLE orders_eu RENAME TO orders_x; ALTER TABLE orders_us RENAME TO orders_eu;
                    ALTER TABLE orders_x RENAME TO orders_us`);
    expect((await completeness.check({ tables: ['orders'] })).tables[0].gaps).toEqual(report.tables[0].gaps);
    // a truncate whose bounds no partition has any more excuses nothing (the row it took is reported), and
    // no bounds text stored in the log is ever run as SQL
    await db.query(`UPDATE audit_changes SET data_after = data_after || '{"bounds": "true) OR (SELECT pg_sleep(5)) IS NULL OR (true"}'
                    WHERE op = 'truncate'`);
    const forged = await completeness.check({ tables: ['orders'] });
    expect(forged.tables[0].gaps).toEqual([
      { key: { id: 2, region: 'eu' }, problem: 'missing' },
      { key: { id: 11, region: 'us' }, problem: 'missing' },
    ]);
    expect(forged.durationMs).toBeLessThan(5000);
  });

  it('finds a row put back quietly where the history says it is gone: after a TRUNCATE, or a key moved away', async () => {
    await audited(db.url, `TRUNCATE tags; UPDATE people SET id = 10 WHERE id = 1`);
    await db.query(`ALTER TABLE tags DISABLE TRIGGER USER; ALTER TABLE people DISABLE TRIGGER USER;
                    INSERT INTO tags VALUES (1, 'a', 'x');
                    INSERT INTO people SELECT 1, name, email, secret, score, born, seen_at FROM people WHERE id = 10;
                    ALTER TABLE tags ENABLE TRIGGER USER; ALTER TABLE people ENABLE TRIGGER USER`);
    const report = await completeness.check();
    expect(report.tables.map((t) => t.gaps)).toEqual([
      [{ key: { id: 1 }, problem: 'latest_is_delete' }],
      [{ key: { post_id: 1, tag: 'a' }, problem: 'latest_is_delete' }],
    ]);
  });

  it('a column type change USING an expression is recorded row by row, so the log still ends where the rows are', async () => {
    await db.query(`ALTER TABLE people ALTER COLUMN name TYPE int USING length(name)`);
    // the same type, values rewritten all the same
    await db.query(`ALTER TABLE tags ALTER COLUMN note TYPE text USING upper(note)`);
    const report = await completeness.check();
    expect(report.ok).toBe(true);
    const snapshots = await db.query<{ data_after: Record<string, unknown>; actor_ref: unknown; meta: unknown }>(
      `SELECT c.data_after, t.actor_ref, t.meta FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.op = 'snapshot' AND c.table_name = 'people' ORDER BY c.id`,
    );
    expect(snapshots).toHaveLength(7);
    // as capture would have stored them: masked masked, excluded left out
    expect(snapshots[0]).toEqual({
      data_after: expect.objectContaining({ id: 1, name: 6, email: '[REDACTED]' }),
      actor_ref: { type: 'system', id: 'threadline:schema-change' },
      meta: { schemaRewrite: [{ table: 'public.people', rows: 7 }] },
    });
    expect(snapshots[0].data_after).not.toHaveProperty('secret');
    expect(
      await db.query(
        `SELECT data_after->>'note' AS note FROM audit_changes WHERE op = 'snapshot' AND table_name = 'tags' ORDER BY id`,
      ),
    ).toEqual([{ note: 'X' }, { note: 'Y' }, { note: 'Z' }]);
  });

  it('reads on past an unrecorded column type change: an image that no longer fits the type is compared as stored', async () => {
    // without the rewrite event trigger, USING rewrites every value without a captured change, and the old
    // images ('name 1') cannot be read as int
    await db.query(`ALTER EVENT TRIGGER threadline_rewrite DISABLE`);
    await db.query(`ALTER TABLE people ALTER COLUMN name TYPE int USING length(name)`);
    const report = await completeness.check({ tables: ['people'], batchSize: 3 });
    expect(report.tables[0]).toMatchObject({ rows: 7, divergent: 7, missing: 0 });
    expect(report.tables[0].gaps[0]).toEqual({ key: { id: 1 }, problem: 'divergent', columns: ['name'] });
    // an image a domain's CHECK refuses (a class 23 error, not 22) is no reason to stop either
    await audited(db.url, `UPDATE people SET score = -5 WHERE id = 2`);
    await db.query(`CREATE DOMAIN posint AS int CHECK (VALUE > 0);
                    ALTER TABLE people ALTER COLUMN score TYPE posint USING abs(score)::int`);
    const domain = await completeness.check({ tables: ['people'] });
    expect(domain.tables[0].gaps.find((g) => g.key.id === 2)).toEqual({
      key: { id: 2 },
      problem: 'divergent',
      columns: ['score'],
    });
    // a type change that keeps every value's text is no gap, and an instant under another TimeZone still reads back
    const fresh = await createTestDatabase();
    try {
      await fresh.query(auditSchemaSql('public').up);
      await fresh.query(`CREATE TABLE people (id int PRIMARY KEY, name text, email text, secret text, score numeric,
                           born timestamptz, seen_at timestamptz); CREATE TABLE tags (post_id int, tag text, note text, PRIMARY KEY (post_id, tag))`);
      await fresh.query((await app.get(CaptureService).triggerSql()).up);
      await audited(
        fresh.url,
        `INSERT INTO people (id, name, born) VALUES (1, 'a', '2026-01-02 03:04:05+09')`,
        'Asia/Tokyo',
      );
      await fresh.query(`ALTER TABLE people ALTER COLUMN id TYPE bigint, ALTER COLUMN name TYPE varchar(20)`);
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot({ type: 'postgres', url: fresh.url, retryAttempts: 0 }),
          ThreadlineCaptureModule.forRoot(CAPTURE),
          ThreadlineProofModule.forRoot({}),
        ],
      }).compile();
      const other = moduleRef.createNestApplication({ logger: false });
      await other.init();
      try {
        const clean = await other.get(CompletenessService).check({ tables: ['people'] });
        expect(clean.tables[0]).toMatchObject({ rows: 1, withoutHistory: 0, divergent: 0, missing: 0 });
      } finally {
        await other.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('says why a table cannot be checked, and refuses a bad batch size', async () => {
    await db.query(`CREATE TABLE plain (id int PRIMARY KEY)`);
    const report = await completeness.check({ tables: ['plain', 'nope'] });
    expect(report.ok).toBe(false);
    expect(report.tables.map((t) => t.problem)).toEqual([
      'public.plain has no Threadline capture deployed (run `node dist/cli.js gen-triggers` and your migrations)',
      'public.nope is not a table with a primary key',
    ]);
    await expect(completeness.check({ batchSize: 0 })).rejects.toThrow(CompletenessError);
  });
});

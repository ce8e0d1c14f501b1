import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { AUDIT_CHANGE_FIELDS, AuditField } from '../src';

type Row = Record<string, unknown> & { op: string };

/**
 * Every write path into audit_changes names its columns by hand (the generated trigger, the fallback of a
 * table whose columns changed unfollowed, the rewrite snapshot, the baseline's snapshot). This runs each one
 * and holds every row to the declaration: a nullable column is set on exactly the ops its `written` lists.
 * A column added to the declaration and forgotten by one write path fails here instead of staying NULL.
 */
describe('every write path fills the audit row as declared (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let capture: CaptureService;
  let last = '0';

  const nullable = (AUDIT_CHANGE_FIELDS as readonly AuditField[]).filter((f) => f.column && !f.column.notNull);
  /** The rows written since the last call. */
  const written = async (): Promise<Row[]> => {
    const rows = await db.query<Row>(`SELECT * FROM audit_changes WHERE id > $1 ORDER BY id`, [last]);
    if (rows.length) last = String(rows[rows.length - 1].id);
    return rows;
  };
  /** Each row against the declaration, as `column/op: set|null` facts, so a failure names the column and op. */
  const facts = (rows: Row[]) =>
    [
      ...new Set(rows.flatMap((r) => nullable.map((f) => `${f.name}/${r.op}: ${r[f.name] === null ? 'null' : 'set'}`))),
    ].sort();
  /** What the declaration says for these ops; `unless`: columns whose condition does not hold here (they stay NULL). */
  const declared = (ops: string[], unless: string[] = []) =>
    nullable
      .flatMap((f) =>
        ops.map(
          (op) => `${f.name}/${op}: ${f.written?.includes(op as never) && !unless.includes(f.name) ? 'set' : 'null'}`,
        ),
      )
      .sort();

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    for (const t of ['items', 'drifted', 'legacy'])
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, v text, secret text)`);
    await db.query(`CREATE TABLE plain (id int PRIMARY KEY, v text)`);
    await db.query(`INSERT INTO legacy VALUES (1, 'before capture', 's'), (2, 'also before', 's')`);
    const table = { mask: ['secret'], storeChangedFrom: true };
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: table, drifted: table, legacy: table, plain: {} } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    capture = app.get(CaptureService);
    await db.query((await capture.triggerSql({ tables: ['items', 'legacy', 'plain'] })).up);
    // generated while no DDL event trigger runs: its function guards itself and falls back on drift
    await db.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    await db.query((await capture.triggerSql({ tables: ['drifted'] })).up);
    await db.query(`ALTER EVENT TRIGGER threadline_ddl ENABLE`);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('every nullable column declares the ops that write it', () => {
    expect(nullable.map((f) => [f.name, !!f.written])).toEqual(nullable.map((f) => [f.name, true]));
  });

  it('the generated trigger: insert, update (with a key change, on a table storing changed_from), delete, truncate', async () => {
    await db.query(`INSERT INTO items VALUES (1, 'a', 'hidden'), (2, 'b', 'hidden')`);
    await db.query(`UPDATE items SET id = id + 10, v = v || '2'`);
    await db.query(`DELETE FROM items WHERE id = 11`);
    await db.query(`TRUNCATE items`);
    const rows = await written();
    expect(rows.map((r) => r.op)).toEqual(['insert', 'insert', 'update', 'update', 'delete', 'truncate']);
    expect(facts(rows)).toEqual(declared(['insert', 'update', 'delete', 'truncate']));
  });

  it('an update that keeps its key, on a table that stores no changed_from: previous_pk and changed_from stay NULL', async () => {
    await db.query(`INSERT INTO plain VALUES (1, 'a')`);
    await db.query(`UPDATE plain SET v = 'b'`);
    const rows = await written();
    expect(rows.map((r) => r.op)).toEqual(['insert', 'update']);
    expect(facts(rows)).toEqual(declared(['insert', 'update'], ['previous_pk', 'changed_from']));
  });

  it('the fallback of a table whose columns changed with no DDL event trigger to follow', async () => {
    await db.query(`INSERT INTO drifted VALUES (1, 'a', 'hidden')`);
    await written();
    await db.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE`);
    await db.query(`ALTER TABLE drifted ADD COLUMN extra text`);
    await db.query(`ALTER EVENT TRIGGER threadline_ddl ENABLE`);
    await db.query(`INSERT INTO drifted VALUES (2, 'b', 'hidden', 'new')`);
    await db.query(`UPDATE drifted SET id = id + 10, v = v || '2'`);
    await db.query(`DELETE FROM drifted WHERE id = 12`);
    const rows = await written();
    expect(rows.map((r) => r.op)).toEqual(['insert', 'update', 'update', 'delete']);
    // the fallback masks the column it cannot classify: these rows came through it
    expect(rows[0].data_after).toMatchObject({ extra: '[REDACTED]' });
    expect(facts(rows)).toEqual(declared(['insert', 'update', 'delete']));
  });

  it('the snapshot of a rewrite (ALTER COLUMN ... TYPE ... USING)', async () => {
    await db.query(`INSERT INTO items VALUES (1, 'a', 'hidden')`);
    await written();
    await db.query(`ALTER TABLE items ALTER COLUMN v TYPE varchar(20) USING v || '!'`);
    const rows = await written();
    expect(rows.map((r) => [r.op, r.data_after])).toEqual([['snapshot', { id: 1, v: 'a!', secret: '[REDACTED]' }]]);
    expect(facts(rows)).toEqual(declared(['snapshot']));
  });

  it("a baseline's snapshots", async () => {
    const sql = await capture.snapshotSql('legacy');
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO audit_transactions (txid, source) VALUES (txid_current(), 'threadline:baseline') RETURNING id`,
    );
    const [{ last_pk }] = await db.query<{ last_pk: unknown }>(sql.lock.first, [1000]);
    await db.query(sql.write.first, [id, JSON.stringify(last_pk)]);
    const rows = await written();
    expect(rows.map((r) => [r.op, r.table_pk])).toEqual([
      ['snapshot', { id: 1 }],
      ['snapshot', { id: 2 }],
    ]);
    expect(facts(rows)).toEqual(declared(['snapshot']));
  });

  it("every write path files its changes under their transaction's start (the partition key), a baseline's later batches too", async () => {
    const [{ total, off }] = await db.query<{ total: number; off: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE c.transaction_occurred_at IS DISTINCT FROM t.occurred_at)::int AS off
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id`,
    );
    expect(total).toBeGreaterThan(8);
    expect(off).toBe(0);
  });
});

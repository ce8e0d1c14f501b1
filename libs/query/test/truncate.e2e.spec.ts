import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { AuditQueryService, DeletedRecordError, ThreadlineQueryModule } from '../src';

/** TRUNCATE is a change like any other: recorded, attributed, and part of the history of the rows it removed. */
describe('TRUNCATE of an audited table (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;
  let client: Client;

  const asActor = async (sql: string, actor = '{"type":"admin","id":"ops"}') => {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [actor]);
    await client.query(sql);
    await client.query('COMMIT');
  };
  const truncates = () =>
    db.query<{ table_name: string; table_pk: unknown; data_after: { rowCount: number }; actor_ref: unknown }>(
      `SELECT c.table_name, c.table_pk, c.data_after, t.actor_ref FROM audit_changes c
       JOIN audit_transactions t ON t.id = c.transaction_id WHERE c.op = 'truncate' ORDER BY c.id`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v text);
      CREATE TABLE notes (id int PRIMARY KEY, item_id int REFERENCES items (id), body text);
      CREATE TABLE events (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: {}, notes: {}, events: {} } }),
        ThreadlineQueryModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql()).up);
    queries = app.get(AuditQueryService);
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await app.close();
    await db.drop();
  });
  beforeEach(() => db.query(`DELETE FROM audit_changes; DELETE FROM audit_transactions`));

  it('records which table, when, by which actor, and how many rows it held', async () => {
    await asActor(`INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 3) g`, '{"type":"user","id":"7"}');
    await asActor(`TRUNCATE items CASCADE`);
    expect(await truncates()).toEqual([
      { table_name: 'items', table_pk: {}, data_after: { rowCount: 3 }, actor_ref: { type: 'admin', id: 'ops' } },
      { table_name: 'notes', table_pk: {}, data_after: { rowCount: 0 }, actor_ref: { type: 'admin', id: 'ops' } },
    ]);
  });

  it('records a truncate of a partitioned table once per partition, under the captured table name', async () => {
    await asActor(`INSERT INTO events VALUES (1, '2025-05-01'), (2, '2026-05-01'), (3, '2026-06-01')`);
    await asActor(`TRUNCATE events`);
    const rows = await truncates();
    expect(rows.map((r) => r.table_name)).toEqual(['events', 'events']);
    expect(rows.map((r) => r.data_after.rowCount).sort()).toEqual([1, 2]);
    await asActor(`INSERT INTO events VALUES (4, '2026-07-01')`);
    await asActor(`TRUNCATE events_2026`);
    expect((await truncates()).slice(2)).toEqual([
      expect.objectContaining({
        table_name: 'events',
        data_after: { rowCount: 1, partition: 'public.events_2026', bounds: expect.stringContaining('2026-01-01') },
      }),
    ]);
  });

  it('records a truncate under session_replication_role = replica (capture is on by default)', async () => {
    await asActor(`INSERT INTO items VALUES (1, 'a')`);
    await asActor(`SET LOCAL session_replication_role = replica; TRUNCATE items CASCADE`);
    expect((await truncates()).map((r) => r.data_after.rowCount)).toEqual([1, 0]);
  });

  it('answers history and asOf honestly for rows a truncate removed', async () => {
    await asActor(`INSERT INTO items VALUES (1, 'a'), (2, 'b')`);
    const [{ before }] = await db.query<{ before: string }>(`SELECT clock_timestamp()::text AS before`);
    await asActor(`TRUNCATE items CASCADE`);
    await asActor(`INSERT INTO items VALUES (2, 'again')`);
    const history = await queries.history('items', 1);
    expect(history.map((c) => c.op)).toEqual(['truncate', 'insert']);
    expect(history[0].data_after).toEqual({ rowCount: 2 });
    expect((await queries.history('items', 2)).map((c) => c.op)).toEqual(['insert', 'truncate', 'insert']);
    // a row inserted only after the truncate is not part of it
    await asActor(`INSERT INTO items VALUES (3, 'new')`);
    expect((await queries.history('items', 3)).map((c) => c.op)).toEqual(['insert']);

    expect(await queries.asOf('items', 1, new Date(before).toISOString())).toEqual({ id: 1, v: 'a' });
    await expect(queries.asOf('items', 1, new Date().toISOString())).rejects.toThrow(DeletedRecordError);
    await expect(queries.asOf('items', 1, new Date().toISOString())).rejects.toThrow(
      /was removed by a TRUNCATE of public.items at .* \(deleted_record\)/,
    );
    expect(await queries.asOf('items', 2, new Date().toISOString())).toEqual({ id: 2, v: 'again' });
  });

  it('shows the truncate on the timeline of its table', async () => {
    await asActor(`INSERT INTO items VALUES (1, 'a')`);
    await asActor(`TRUNCATE items CASCADE`);
    const page = await queries.timeline({ table: 'items' });
    expect(page.changes.map((c) => c.op)).toEqual(['truncate', 'insert']);
  });
});

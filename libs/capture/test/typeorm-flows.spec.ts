import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { DataSource, EntitySchema, MigrationInterface, QueryRunner } from 'typeorm';
import { auditSchemaSql, generateTriggerSql, resolveCaptureOptions, tableOptionsFor } from '../src';

interface Account {
  id: number;
  email: string;
  name: string;
}
const AccountEntity = new EntitySchema<Account>({
  name: 'Account',
  tableName: 'accounts',
  columns: { id: { type: Number, primary: true, generated: true }, email: { type: String }, name: { type: String } },
});

const options = resolveCaptureOptions({ tables: { accounts: { mask: ['email'] } } });
const triggers = generateTriggerSql(
  { schema: 'public', table: 'accounts' },
  tableOptionsFor(options, 'public', 'accounts'),
  options,
);

class Install1700000000001 implements MigrationInterface {
  name = 'Install1700000000001';
  async up(q: QueryRunner) {
    await q.query(auditSchemaSql('public').up);
  }
  async down() {}
}
class Triggers1700000000002 implements MigrationInterface {
  name = 'Triggers1700000000002';
  async up(q: QueryRunner) {
    await q.query(triggers.up);
  }
  async down(q: QueryRunner) {
    await q.query(triggers.down);
  }
}
class CreateAccounts1700000000003 implements MigrationInterface {
  name = 'CreateAccounts1700000000003';
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE accounts (id serial PRIMARY KEY, email varchar NOT NULL, name varchar NOT NULL)`);
  }
  async down() {}
}

describe('TypeORM flows where the trigger migration runs before its table exists', () => {
  let db: TestDatabase;
  let ds: DataSource | undefined;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db.drop();
  });

  async function capturedEmails(): Promise<unknown[]> {
    const rows = await db.query<{ data_after: { email: unknown } }>(
      `SELECT data_after FROM audit_changes WHERE table_name = 'accounts' ORDER BY id`,
    );
    return rows.map((r) => r.data_after.email);
  }

  it('synchronize: true with migrationsRun (TypeORM runs migrations first, then creates the tables): boots and captures', async () => {
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: [AccountEntity],
      migrations: [Install1700000000001, Triggers1700000000002],
      migrationsRun: true,
      synchronize: true,
      logging: false,
    });
    await ds.initialize();
    await ds.getRepository(AccountEntity).insert({ email: 'secret@example.com', name: 'a' });
    await ds.getRepository(AccountEntity).update({ name: 'a' }, { email: 'other@example.com' });
    expect(await capturedEmails()).toEqual(['[REDACTED]', '[REDACTED]']);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_capture_pending`);
    expect(n).toBe(0);
  });

  it('synchronize renaming a masked column (TypeORM drops it and adds the new one): the value is never captured in clear', async () => {
    const first = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: [AccountEntity],
      migrations: [Install1700000000001, Triggers1700000000002],
      migrationsRun: true,
      synchronize: true,
      logging: false,
    });
    await first.initialize();
    await first.getRepository(AccountEntity).insert({ email: 'secret@example.com', name: 'a' });
    await first.destroy();
    // the entity's email property now maps to email_address of another type: synchronize runs DROP COLUMN email,
    // ADD COLUMN email_address (it renames in place only when nothing but the name changed)
    const Renamed = new EntitySchema<Account>({
      name: 'Account',
      tableName: 'accounts',
      columns: {
        id: { type: Number, primary: true, generated: true },
        email: { type: 'text', name: 'email_address', nullable: true },
        name: { type: String },
      },
    });
    ds = new DataSource({ type: 'postgres', url: db.url, entities: [Renamed], synchronize: true, logging: false });
    await ds.initialize();
    await ds.getRepository(Renamed).update({ name: 'a' }, { email: 'moved-secret@example.com' });
    await ds.getRepository(Renamed).insert({ email: 'new-secret@example.com', name: 'b' });
    const images = await db.query<{ data_after: Record<string, unknown> }>(
      `SELECT data_after FROM audit_changes WHERE table_name = 'accounts' ORDER BY id`,
    );
    expect(images.map((r) => r.data_after.email_address ?? r.data_after.email)).toEqual([
      '[REDACTED]',
      '[REDACTED]',
      '[REDACTED]',
    ]);
    expect(JSON.stringify(await db.query(`SELECT * FROM audit_changes`))).not.toContain('secret@');
    // ... and the drift says what to do about it
    const [{ comment }] = await db.query<{ comment: string }>(
      `SELECT obj_description('threadline_audit_accounts'::regproc::oid, 'pg_proc') AS comment`,
    );
    expect(JSON.parse(comment.slice('threadline:'.length))).toMatchObject({ unclassifiedColumns: ['email_address'] });
  });

  it('a trigger migration ordered before the migration that creates its table', async () => {
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: [AccountEntity],
      migrations: [Install1700000000001, Triggers1700000000002, CreateAccounts1700000000003],
      migrationsRun: true,
      logging: false,
    });
    await ds.initialize();
    await ds.getRepository(AccountEntity).insert({ email: 'secret@example.com', name: 'a' });
    expect(await capturedEmails()).toEqual(['[REDACTED]']);
  });

  it('without the DDL event trigger the pending capture is reported, and nothing is captured unredacted', async () => {
    await db.query(auditSchemaSql('public').up);
    await db.query(`DROP EVENT TRIGGER threadline_ddl`);
    await db.query(triggers.up);
    await db.query(`CREATE TABLE accounts (id serial PRIMARY KEY, email varchar NOT NULL, name varchar NOT NULL)`);
    await db.query(`INSERT INTO accounts (email, name) VALUES ('secret@example.com', 'a')`);
    expect(await capturedEmails()).toEqual([]);
    const pending = await db.query(`SELECT table_schema, table_name FROM audit_capture_pending`);
    expect(pending).toEqual([{ table_schema: 'public', table_name: 'accounts' }]);
    // running the same migration SQL again, once the table exists, deploys it
    await db.query(triggers.up);
    await db.query(`INSERT INTO accounts (email, name) VALUES ('secret2@example.com', 'b')`);
    expect(await capturedEmails()).toEqual(['[REDACTED]']);
  });
});

import { auditSchemaSql } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { AUDIT_ACTION_FIELDS, AUDIT_CHANGE_FIELDS, AUDIT_TRANSACTION_FIELDS, AuditField, CSV_COLUMNS } from '../src';
import { AUDIT_CHANGE_STORAGE_COLUMNS } from '../src/audit-row';

/** The one description of an audit row (audit-row.ts) against the tables the install SQL creates. */
describe('the audit row declaration matches the installed tables (real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
  });
  afterAll(() => db.drop());

  const stored = (fields: readonly Pick<AuditField, 'name' | 'column'>[]) =>
    fields
      .filter((f) => f.column)
      .map((f) => [f.name, f.column!.type, f.column!.notNull])
      .sort();

  it.each([
    ['audit_changes', [...AUDIT_CHANGE_FIELDS, ...AUDIT_CHANGE_STORAGE_COLUMNS]],
    ['audit_transactions', AUDIT_TRANSACTION_FIELDS],
    ['audit_actions', AUDIT_ACTION_FIELDS],
  ] as const)(
    '%s: every column declared with its type and nullability, and nothing declared that is not stored',
    async (table, fields) => {
      const columns = await db.query<{ name: string; type: string; not_null: boolean }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
        [`public.${table}`],
      );
      expect(columns.map((c) => [c.name, c.type, c.not_null]).sort()).toEqual(stored(fields));
    },
  );

  it('the CSV header is the change fields but previous_pk, with the transaction as transaction_json, then who and why', () => {
    expect(CSV_COLUMNS).toEqual([
      ...AUDIT_CHANGE_FIELDS.map((f) => f.name)
        .filter((name) => name !== 'previous_pk')
        .map((name) => (name === 'transaction' ? 'transaction_json' : name)),
      'correlation_id',
      'action_id',
      'actor_type',
      'actor_id',
      'action_name',
    ]);
  });
});

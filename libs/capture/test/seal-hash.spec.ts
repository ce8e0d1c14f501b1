import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { auditSchemaSql } from '../src';
import { changeHashSql, largeChangeHashSql } from '../src/schema/seal-hash';

/**
 * A change's seal hash, in the everyday format (2) and the one for changes too large to write as text (3),
 * changes with every stored column of audit_changes, read from the catalog: a column added to the table
 * and left out of either hash fails here.
 */
describe("a change's seal hash covers every stored column, in both formats (real PostgreSQL)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, previous_pk,
      data_after, changed_fields, changed_from) VALUES (gen_random_uuid(), 'public', 'posts', 'update', '{"id":1}',
      '{"id":0}', '{"id":1,"title":"a"}', '{title}', '{"title":"b"}')`);
  });
  afterAll(() => db.drop());

  const forged = (column: string, type: string, domain: string): string => {
    const col = `x.${column}`;
    if (domain === 'audit_change_op') return `CASE WHEN ${col} = 'insert' THEN 'update' ELSE 'insert' END`;
    switch (type) {
      case 'text':
        return `${col} || 'x'`;
      case 'jsonb':
        return `${col} || '{"forged":1}'`;
      case 'ARRAY':
        return `${col} || 'forged'::text`;
      case 'uuid':
        return 'gen_random_uuid()';
      case 'bigint':
        return `${col} + 1`;
      case 'timestamp with time zone':
        return `${col} + interval '1 microsecond'`;
      default:
        throw new Error(`no forgery for audit_changes.${column} (${type}): add one`);
    }
  };

  it.each([
    ['2', () => changeHashSql('c')],
    ['3', () => largeChangeHashSql('public', 'c')],
  ])('format %s', async (_format, hash) => {
    const columns = await db.query<{ name: string; type: string; domain: string }>(
      `SELECT column_name AS name, data_type AS type, coalesce(domain_name, '') AS domain FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'audit_changes' ORDER BY ordinal_position`,
    );
    expect(columns.length).toBeGreaterThanOrEqual(11);
    const [{ h: original }] = await db.query<{ h: string }>(
      `SELECT encode(${hash()}, 'hex') AS h FROM audit_changes AS c`,
    );
    const unchanged: string[] = [];
    for (const { name, type, domain } of columns) {
      // the row with one column forged; transaction_id is covered by the transaction the change is sealed under,
      // transaction_occurred_at (a copy of that transaction's sealed start, the partition key) by verification,
      // which reports a change whose copy differs (integrity-strays.ts, changeMoved)
      if (name === 'transaction_id' || name === 'transaction_occurred_at') continue;
      const [{ h }] = await db.query<{ h: string }>(
        `SELECT encode(${hash()}, 'hex') AS h FROM (SELECT (jsonb_populate_record(NULL::audit_changes,
           to_jsonb(x) || jsonb_build_object('${name}', ${forged(name, type, domain)}))).* FROM audit_changes AS x) AS c`,
      );
      if (h === original) unchanged.push(name);
    }
    expect(unchanged).toEqual([]);
  });

  it('format 3 tells a SQL NULL from a JSON null', async () => {
    const [row] = await db.query<{ same: boolean }>(
      `SELECT threadline_jsonb_sha256('null'::jsonb) = sha256(''::bytea) AS same`,
    );
    expect(row.same).toBe(false);
  });
});

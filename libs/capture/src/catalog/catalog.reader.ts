import { SqlQueryable } from '@threadline/core';
import { TableDescription } from './table-description';

/**
 * Describes tables from the live catalog in one round trip: columns in order
 * with their types, and the primary key. (How each column is compared is the
 * in-database generator's business: threadline_capture_sql.)
 * Tables that do not exist come back as `undefined` in their slot.
 */
export async function describeTables(
  db: SqlQueryable,
  tables: { schema: string; table: string }[],
): Promise<(TableDescription | undefined)[]> {
  if (tables.length === 0) return [];
  const rows: {
    ord: string;
    schema: string | null;
    table: string | null;
    columns: TableDescription['columns'] | null;
    primary_key: string[] | null;
  }[] = await db.query(DESCRIBE_TABLES_SQL, [tables.map((t) => t.schema), tables.map((t) => t.table)]);
  const byOrdinal = new Map(rows.map((row) => [Number(row.ord), row]));
  return tables.map((_, index) => {
    const row = byOrdinal.get(index + 1);
    if (!row || row.table === null) return undefined;
    return { schema: row.schema!, table: row.table, columns: row.columns ?? [], primaryKey: row.primary_key ?? [] };
  });
}

const DESCRIBE_TABLES_SQL = `
SELECT req.ord, n.nspname AS schema, c.relname AS table,
  (SELECT json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod)
    ) ORDER BY a.attnum)
   FROM pg_attribute a
   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT json_agg(a.attname ORDER BY k.pos)
   FROM pg_index i
   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS req(schema_name, table_name, ord)
LEFT JOIN pg_namespace n ON n.nspname = req.schema_name
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = req.table_name AND c.relkind IN ('r', 'p')
ORDER BY req.ord`;

import { InvalidSqlLiteralError } from '../core.errors';

/**
 * The one place identifiers and literals are quoted for generated SQL. Every
 * table, column and schema name passes through `ident`, so odd names (mixed
 * case, spaces, quotes, an injection attempt) are always data, never SQL.
 */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A schema-qualified name: `"schema"."name"`. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/**
 * A string literal that reads the same whatever `standard_conforming_strings`
 * says (node-pg's escapeLiteral form): quotes doubled, and when the value has
 * a backslash, backslashes doubled inside an `E'...'` literal. A plain
 * `'...'` literal with a backslash would be read differently by a server (or
 * session) with the setting off, and a value ending in a backslash could end
 * the string early there.
 */
export function literal(value: string): string {
  if (value.includes('\0')) throw InvalidSqlLiteralError.nulCharacter();
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `ARRAY['a','b']::text[]` */
export function textArray(values: readonly string[]): string {
  return values.length === 0 ? `'{}'::text[]` : `ARRAY[${values.map(literal).join(', ')}]::text[]`;
}

/** PostgreSQL truncates identifiers to 63 bytes; names are kept under it. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Anything that runs SQL and resolves to its rows: a TypeORM DataSource or
 * EntityManager, a QueryRunner, or a small wrapper around a node-pg client.
 */
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, params?: unknown[]): Promise<any>;
}

import { installSql } from './install-sql';

// The SQL of these functions is in libs/capture/sql, 007 to 013 (sql/README.md);
// here are the names the application calls them by.

/** Deploys (or redeploys) capture on a table: `threadline_capture(table regclass, function_name text, settings jsonb)`. */
export const CAPTURE_FUNCTION = 'threadline_capture';
/** Capture requested for tables that do not exist yet (deployed by the DDL event trigger when they are created). */
export const PENDING_TABLE = 'audit_capture_pending';
/** Removes capture from a table and its partitions. */
export const UNCAPTURE_FUNCTION = 'threadline_uncapture';
/** Builds, without running it, the SQL that `threadline_capture` runs. */
export const CAPTURE_SQL_FUNCTION = 'threadline_capture_sql';
/** Regenerates a table's capture from the stamp of its deployed function (what the DDL event trigger calls). */
export const REFRESH_FUNCTION = 'threadline_refresh_capture';
/** The columns of a table as capture sees them: `name:type` sorted by name, comma-separated, then `;pk=` and the key columns. */
export const SIGNATURE_FUNCTION = 'threadline_column_signature';
/** The columns of a table in attribute order: `attnum:type:quoted name`, comma-separated (an exact, unambiguous layout). */
export const LAYOUT_FUNCTION = 'threadline_column_layout';
/** Builds the SQL a self-guarding capture function runs once the table's columns changed under it. */
export const FALLBACK_SQL_FUNCTION = 'threadline_capture_fallback_sql';
/** Records every row of a captured table (or partition) as a `snapshot` change after DDL rewrote its values. */
export const REWRITE_SNAPSHOT_FUNCTION = 'threadline_snapshot_rewritten';
/** The actor of a schema change's snapshots when the session that ran the DDL names none. */
export const SCHEMA_CHANGE_ACTOR = '{"type":"system","id":"threadline:schema-change"}';

/**
 * One column's entry in a layout (LAYOUT_FUNCTION, and the guard a capture
 * function carries without the DDL event trigger): attribute number, type
 * and name, the name quoted so that no name can pass for another layout.
 * The install SQL writes the same expression out for `a`.
 */
export function columnLayoutEntry(a: string): string {
  return `${a}.attnum || ':' || ${a}.atttypid || ':' || quote_ident(${a}.attname)`;
}

/**
 * The name of the DDL event trigger of one audit schema. Event trigger names
 * are global to a database, so a second audit schema gets its own (the
 * install SQL's `:AUDIT_SUFFIX`).
 */
export function ddlEventTriggerName(auditSchema: string, event: 'ddl' | 'rewrite' | 'drop' = 'ddl'): string {
  const base = `threadline_${event}`;
  return auditSchema === 'public' ? base : `${base}_${Buffer.from(auditSchema).toString('hex').slice(0, 40)}`;
}

/**
 * Capture functions live in the database so that PostgreSQL itself can
 * regenerate a table's trigger function the moment the table changes (see
 * README "Schema changes"): the catalog functions, the fallback of a
 * self-guarding function, the generator, deploy and remove, following DDL,
 * and the event triggers. Each file says what its part does and why.
 */
export function captureFunctionsSql(auditSchema: string): string {
  const files = [
    '007-column-signature',
    '008-capture-fallback',
    '009-capture-generator',
    '010-capture-deploy',
    '011-ddl-follow',
    '012-rewrite-snapshot',
    '013-event-triggers',
  ];
  return files.map((file) => `\n${installSql(auditSchema, file)}`).join('');
}

/** Drops what captureFunctionsSql creates. */
export function dropCaptureFunctionsSql(auditSchema: string): string {
  return installSql(auditSchema, 'down/001-capture-functions');
}

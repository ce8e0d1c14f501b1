import { isoUtc } from '@threadline/core';
import { AuditChange, AuditTransaction, CHANGE_OPS } from './audit-change';
import { Same } from './same';

/** An operation a change records. */
export type ChangeOp = (typeof CHANGE_OPS)[number];

/**
 * The one description of an audit row as the library presents it: each field of AuditChange and of its
 * AuditTransaction, with the stored column it reads, the SQL that presents it, its CSV cell and its OpenAPI
 * schema. The query select, the COPY export, the CSV header and the operator's OpenAPI schemas are derived
 * from these lists; a test compares `column` with the installed tables and the compile-time checks below
 * with the AuditChange and AuditTransaction types. Adding a column is one entry here plus the migration, and for
 * a change column the write paths that set it (test/write-paths.e2e.spec.ts names any that leave it NULL).
 */
export interface AuditField<Name extends string = string> {
  /** The JSON name (and, unless `sql` says otherwise, the stored column). */
  readonly name: Name;
  /** The stored column's type as PostgreSQL's format_type prints it, and whether it is NOT NULL; none: derived. */
  readonly column?: { readonly type: string; readonly notNull: boolean };
  /**
   * A nullable change column: the ops whose write paths set it (where it applies: previous_pk on a key change,
   * changed_from on a table that stores it); every other op leaves it NULL. The write-path test runs every
   * write path (trigger, fallback, rewrite snapshot, baseline) against this, so a write path that forgets a
   * column fails a test instead of leaving it NULL.
   */
  readonly written?: readonly ChangeOp[];
  /** The field's value over the audit row alias (`c` or `t`); default: the column itself. */
  readonly sql?: (alias: string) => string;
  /** Its CSV cell: the header (default: the name) and the cell as SQL text (default: the value as text, '' for NULL); false: not a CSV column. */
  readonly csv?: false | { readonly header?: string; readonly cell?: (alias: string) => string };
  /** Its OpenAPI schema (a Swagger ApiProperty options object); `nested` names another schema of these lists. */
  readonly openapi: Readonly<Record<string, unknown>> & { readonly nested?: 'AuditTransaction' | 'ActorRef' };
}

/**
 * Row images and keys: JSON objects whose numbers carry the digits PostgreSQL stored (numeric scale and
 * precision, bigint past 2^53): `100.00` stays `100.00`. A client that needs them exact parses with a
 * lossless JSON parser (JSON.parse would read 12345678901234567.12345678 as 12345678901234568).
 */
const EXACT_NUMBERS =
  'numbers are written with the digits PostgreSQL stored (numeric scale, bigint past 2^53: 100.00 stays 100.00); parse with a lossless JSON parser to keep them';
const OBJECT = { type: 'object', additionalProperties: true } as const;
const text = { type: 'text', notNull: false } as const;
const nullableString = { type: String, nullable: true } as const;

/**
 * Stored columns of audit_changes that are not presented: `transaction_occurred_at` (schema v12), the partition
 * key of partitioned storage, a copy of the change's transaction's start, which is presented as
 * `transaction.occurred_at` (verification reports a change whose copy differs). NULL on changes stored before v12.
 */
export const AUDIT_CHANGE_STORAGE_COLUMNS = [
  { name: 'transaction_occurred_at', column: { type: 'timestamp with time zone', notNull: false } },
] as const;

/** The fields of an audit transaction (`audit_transactions`, alias `t`), in the order they are presented. */
export const AUDIT_TRANSACTION_FIELDS = [
  { name: 'id', column: { type: 'uuid', notNull: true }, openapi: { format: 'uuid' } },
  {
    name: 'txid',
    column: { type: 'bigint', notNull: true },
    sql: (t) => `${t}.txid::text`,
    openapi: { description: 'PostgreSQL transaction id (xid8), as a string', example: '1234' },
  },
  {
    name: 'occurred_at',
    column: { type: 'timestamp with time zone', notNull: true },
    sql: (t) => isoUtc(`${t}.occurred_at`),
    openapi: { format: 'date-time' },
  },
  { name: 'actor_ref', column: { type: 'jsonb', notNull: false }, openapi: { nullable: true, nested: 'ActorRef' } },
  { name: 'correlation_id', column: text, openapi: nullableString },
  { name: 'request_id', column: text, openapi: nullableString },
  { name: 'action_id', column: { type: 'uuid', notNull: false }, openapi: { ...nullableString, format: 'uuid' } },
  { name: 'source', column: text, openapi: nullableString },
  { name: 'meta', column: { type: 'jsonb', notNull: false }, openapi: { ...OBJECT, nullable: true } },
] as const satisfies readonly AuditField<keyof AuditTransaction>[];

/** SQL: the transaction `t` as the jsonb object AuditTransaction describes. */
export function transactionJsonSql(t: string): string {
  return `jsonb_build_object(${AUDIT_TRANSACTION_FIELDS.map((f: AuditField) => `'${f.name}', ${valueSql(f, t)}`).join(', ')})`;
}

/** The fields of a change (`audit_changes`, alias `c`, joined to its transaction `t`), in the order they are presented. */
export const AUDIT_CHANGE_FIELDS = [
  {
    name: 'id',
    column: { type: 'bigint', notNull: true },
    sql: (c) => `${c}.id::text`,
    openapi: { description: 'bigint, as a string', example: '1042' },
  },
  { name: 'transaction_id', column: { type: 'uuid', notNull: true }, openapi: { format: 'uuid' } },
  { name: 'table_schema', column: { type: 'text', notNull: true }, openapi: { example: 'public' } },
  { name: 'table_name', column: { type: 'text', notNull: true }, openapi: { example: 'posts' } },
  { name: 'op', column: { type: 'audit_change_op', notNull: true }, openapi: { enum: CHANGE_OPS } },
  {
    name: 'captured_at',
    column: { type: 'timestamp with time zone', notNull: true },
    sql: (c) => isoUtc(`${c}.captured_at`),
    openapi: { format: 'date-time', description: 'ISO 8601 UTC with microseconds' },
  },
  {
    name: 'table_pk',
    column: { type: 'jsonb', notNull: true },
    openapi: { ...OBJECT, example: { id: 1 }, description: `the primary key; ${EXACT_NUMBERS}` },
  },
  {
    name: 'previous_pk',
    column: { type: 'jsonb', notNull: false },
    written: ['update'],
    csv: false,
    openapi: { ...OBJECT, nullable: true, description: `the key before a key change; ${EXACT_NUMBERS}` },
  },
  {
    name: 'data_after',
    column: { type: 'jsonb', notNull: false },
    written: ['insert', 'update', 'truncate', 'snapshot'],
    openapi: { ...OBJECT, nullable: true, description: `the row after the change, redacted; ${EXACT_NUMBERS}` },
  },
  {
    name: 'changed_fields',
    column: { type: 'text[]', notNull: false },
    written: ['update'],
    csv: { cell: (c) => `coalesce(to_json(${c}.changed_fields)::text, '')` },
    openapi: { type: [String], nullable: true },
  },
  {
    name: 'changed_from',
    column: { type: 'jsonb', notNull: false },
    written: ['update'],
    openapi: {
      ...OBJECT,
      nullable: true,
      description: `previous values of changed fields, for tables that store them; ${EXACT_NUMBERS}`,
    },
  },
  {
    name: 'transaction',
    sql: () => transactionJsonSql('t'),
    csv: { header: 'transaction_json' },
    openapi: { nested: 'AuditTransaction' },
  },
] as const satisfies readonly AuditField<keyof AuditChange>[];

/**
 * The CSV columns after the change's own: who and why as plain cells for a spreadsheet, read from its
 * transaction `t` (actor_type, actor_id: '' when unattributed; action_name: the linked action's name, '' when
 * none). `actions` is the quoted audit_actions table.
 */
const csvExtras = (actions: string) =>
  [
    { header: 'correlation_id', cell: `coalesce(t.correlation_id, '')` },
    { header: 'action_id', cell: `coalesce(t.action_id::text, '')` },
    { header: 'actor_type', cell: `coalesce(t.actor_ref->>'type', '')` },
    { header: 'actor_id', cell: `coalesce(t.actor_ref->>'id', '')` },
    { header: 'action_name', cell: `coalesce((SELECT a.name FROM ${actions} AS a WHERE a.id = t.action_id), '')` },
  ] as const;

/** The CSV export's columns: the change's fields but previous_pk (the reference's fixed order), then who and why. */
export function csvColumns(actions: string): { header: string; cell: string }[] {
  const own = (AUDIT_CHANGE_FIELDS as readonly AuditField[])
    .filter((f) => f.csv !== false)
    .map((f) => {
      const csv = f.csv || {};
      return {
        header: csv.header ?? f.name,
        cell: csv.cell ? csv.cell('c') : `coalesce((${valueSql(f, 'c')})::text, '')`,
      };
    });
  return [...own, ...csvExtras(actions)];
}

/** The CSV header, in order. */
export const CSV_COLUMNS: readonly string[] = csvColumns('audit_actions').map((c) => c.header);

/** SQL: the presented value of field `f` of the row aliased `alias`. */
export function valueSql(f: AuditField, alias: string): string {
  return f.sql ? f.sql(alias) : `${alias}.${f.name}`;
}

// Compile-time: the declarations name exactly the fields of the types (a field added to one and not the other fails the build).
const changeFieldsMatch: Same<(typeof AUDIT_CHANGE_FIELDS)[number]['name'], keyof AuditChange> = true;
const transactionFieldsMatch: Same<(typeof AUDIT_TRANSACTION_FIELDS)[number]['name'], keyof AuditTransaction> = true;
void changeFieldsMatch;
void transactionFieldsMatch;

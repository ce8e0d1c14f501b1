import { IsArray, IsBoolean, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import {
  PartitioningOptions,
  partitioningProblems,
  resolvePartitioning,
  ResolvedPartitioning,
} from './partitions/partitioning.options';
import { DEFAULT_AUDIT_SCHEMA, InvalidOptionsError } from '@threadline/core';
import { validateOptionsObject } from '@threadline/core';
import { emptyTableName, optionExcludedAndMasked, optionTexts } from './capture.messages';

/** Redaction and change-detection settings of one audited table. */
export interface TableCaptureOptions {
  /** Columns left out of `data_after`, `changed_fields` and `changed_from` entirely. */
  exclude?: string[];
  /** Columns kept as keys but with the value replaced by the mask placeholder (json/jsonb masked whole). */
  mask?: string[];
  /** Columns ignored by change detection (for example `updated_at`): an UPDATE touching only them records nothing. */
  exceptColumns?: string[];
  /** Also store prior values of changed columns in `changed_from`. @default false */
  storeChangedFrom?: boolean;
}

export interface CaptureOptions {
  /** Schema holding the audit tables and Threadline's shared function. @default 'public' */
  auditSchema?: string;
  /**
   * Per-table settings, keyed by table name (`users`) or `schema.table`.
   * Listing a table here also makes it the default set for `gen-triggers`.
   */
  tables?: Record<string, TableCaptureOptions>;
  /** Text that replaces masked values. @default '[REDACTED]' */
  maskPlaceholder?: string;
  /** Record UPDATEs that change nothing (or only `exceptColumns`). @default false */
  recordNoopUpdates?: boolean;
  /**
   * Capture writes made under `session_replication_role = replica` too (the
   * triggers are ENABLE ALWAYS). Set false only where those writes are
   * captured elsewhere, e.g. a logical-replication subscriber whose publisher
   * already audits them. @default true
   */
  captureInReplicaRole?: boolean;
  /** Folder where `install` and `gen-triggers` write TypeORM migrations. @default 'src/migrations' */
  migrationsDir?: string;
  /** Install the indexes the exploration queries use (each costs audited writes a little). @default true */
  queryIndexes?: boolean;
  /**
   * Partitioned storage: `audit_transactions` and `audit_changes` as range partitions on the audit
   * transaction's start, one per interval, kept ahead by a scheduled job (README "Partitioned storage").
   * An empty audit schema is partitioned by the install; an existing log is moved by `partitions upgrade`. @default off
   */
  partitioning?: PartitioningOptions;
}

export interface ResolvedTableCaptureOptions {
  schema: string;
  table: string;
  exclude: string[];
  mask: string[];
  exceptColumns: string[];
  storeChangedFrom: boolean;
}

export interface ResolvedCaptureOptions {
  auditSchema: string;
  tables: ResolvedTableCaptureOptions[];
  maskPlaceholder: string;
  recordNoopUpdates: boolean;
  captureInReplicaRole: boolean;
  migrationsDir: string;
  queryIndexes: boolean;
  /** null: unpartitioned storage. */
  partitioning: ResolvedPartitioning | null;
}

const COLUMN_LIST = optionTexts.columnList;

class TableCaptureOptionsSchema implements TableCaptureOptions {
  @IsOptional() @IsArray({ message: COLUMN_LIST }) @IsString({ each: true, message: COLUMN_LIST }) exclude?: string[] =
    undefined;
  @IsOptional() @IsArray({ message: COLUMN_LIST }) @IsString({ each: true, message: COLUMN_LIST }) mask?: string[] =
    undefined;
  @IsOptional()
  @IsArray({ message: COLUMN_LIST })
  @IsString({ each: true, message: COLUMN_LIST })
  exceptColumns?: string[] = undefined;
  @IsOptional() @IsBoolean({ message: optionTexts.boolean }) storeChangedFrom?: boolean = undefined;
}

class CaptureOptionsSchema implements Omit<CaptureOptions, 'tables' | 'partitioning'> {
  @IsOptional()
  @IsString()
  @Matches(/^[^\0]{1,63}$/, { message: optionTexts.schemaName })
  auditSchema?: string = undefined;
  tables?: unknown = undefined; // checked entry by entry below
  @IsOptional()
  @IsString({ message: optionTexts.string })
  @MinLength(1, { message: optionTexts.notEmpty })
  maskPlaceholder?: string = undefined;
  @IsOptional() @IsBoolean({ message: optionTexts.boolean }) recordNoopUpdates?: boolean = undefined;
  @IsOptional() @IsBoolean({ message: optionTexts.boolean }) captureInReplicaRole?: boolean = undefined;
  @IsOptional() @IsString({ message: optionTexts.folder }) migrationsDir?: string = undefined;
  @IsOptional() @IsBoolean({ message: optionTexts.boolean }) queryIndexes?: boolean = undefined;
  partitioning?: unknown = undefined; // partitioningProblems
}

/** Splits `schema.table` (or `table`, in `public`). */
export function parseTableName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  return dot > 0 ? { schema: name.slice(0, dot), table: name.slice(dot + 1) } : { schema: 'public', table: name };
}

/** Problems with the capture options, each naming the option and what is allowed; empty when valid. */
export function captureOptionProblems(options: CaptureOptions | undefined, path = 'capture'): string[] {
  const problems = validateOptionsObject(CaptureOptionsSchema, options ?? {}, path).concat(
    partitioningProblems(options?.partitioning, `${path}.partitioning`),
  );
  const tables = options?.tables;
  if (tables === undefined) return problems;
  if (tables === null || typeof tables !== 'object' || Array.isArray(tables)) {
    return problems.concat(`${path}.tables must be an object keyed by table name, e.g. { users: { mask: ['email'] } }`);
  }
  for (const [name, table] of Object.entries(tables)) {
    const here = `${path}.tables.${name}`;
    if (!name.trim()) problems.push(emptyTableName(path));
    const tableProblems = validateOptionsObject(TableCaptureOptionsSchema, table ?? {}, here);
    problems.push(...tableProblems);
    if (tableProblems.length > 0) continue;
    const both = (table.exclude ?? []).filter((column) => (table.mask ?? []).includes(column));
    if (both.length > 0) {
      problems.push(optionExcludedAndMasked(here, both));
    }
  }
  return problems;
}

/** Validates and fills defaults; throws InvalidOptionsError listing every problem. */
export function resolveCaptureOptions(options: CaptureOptions | undefined): ResolvedCaptureOptions {
  InvalidOptionsError.throwIfAny(captureOptionProblems(options));
  const sorted = (list?: string[]) => [...new Set(list ?? [])].sort();
  const tables = Object.entries(options?.tables ?? {})
    .map(([name, table]) => ({
      ...parseTableName(name),
      exclude: sorted(table.exclude),
      mask: sorted(table.mask),
      exceptColumns: sorted(table.exceptColumns),
      storeChangedFrom: table.storeChangedFrom ?? false,
    }))
    .sort((a, b) => `${a.schema}.${a.table}`.localeCompare(`${b.schema}.${b.table}`));
  return {
    auditSchema: options?.auditSchema ?? DEFAULT_AUDIT_SCHEMA,
    tables,
    maskPlaceholder: options?.maskPlaceholder ?? '[REDACTED]',
    recordNoopUpdates: options?.recordNoopUpdates ?? false,
    captureInReplicaRole: options?.captureInReplicaRole ?? true,
    migrationsDir: options?.migrationsDir ?? 'src/migrations',
    queryIndexes: options?.queryIndexes ?? true,
    partitioning: resolvePartitioning(options?.partitioning),
  };
}

/** The settings of one table: configured ones, or defaults for a table not in `tables`. */
export function tableOptionsFor(
  options: ResolvedCaptureOptions,
  schema: string,
  table: string,
): ResolvedTableCaptureOptions {
  return (
    options.tables.find((t) => t.schema === schema && t.table === table) ?? {
      schema,
      table,
      exclude: [],
      mask: [],
      exceptColumns: [],
      storeChangedFrom: false,
    }
  );
}

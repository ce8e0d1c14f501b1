import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  describeTables,
  parseTableName,
  readDeployedCapture,
  ResolvedCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
} from '@threadline/capture';
import { AuditTables, ident, literal, qualified, textArray, ThreadlineError } from '@threadline/core';
import { DataSource } from 'typeorm';

/** One current row whose history does not end in its current state. */
export interface CompletenessGap {
  /** The row's primary key. */
  key: Record<string, unknown>;
  problem: 'no_history' | 'divergent' | 'latest_is_delete';
  /** For `divergent`: the columns whose current value differs from the latest captured image. */
  columns?: string[];
}

export interface TableCompleteness {
  table: string;
  /** Rows checked (every current row). */
  rows: number;
  withoutHistory: number;
  divergent: number;
  /** The first gaps found (at most `listLimit` per table). */
  gaps: CompletenessGap[];
  /** Why the table could not be checked (not a table, no capture deployed). */
  problem?: string;
}

export interface CompletenessReport {
  ok: boolean;
  tables: TableCompleteness[];
  durationMs: number;
}

export interface CompletenessOptions {
  /** Tables to check (`table` or `schema.table`); default: capture.tables. */
  tables?: string[];
  /** Rows per batch (keyset walk of the primary key). @default 1000 */
  batchSize?: number;
  /** Gaps listed per table (all are counted). @default 100 */
  listLimit?: number;
  onProgress?: (table: string, rows: number) => void;
}

export class CompletenessError extends ThreadlineError {}

/**
 * Completeness: does the audit log end where each row is now? For every
 * current row of an audited table it compares the row with the latest
 * captured image of its key (after redaction: excluded, masked and
 * change-detection-excepted columns are not compared, nor columns the image
 * does not hold, such as ones added since), in batches that walk the primary
 * key. A row without any history, whose latest change is a delete, or whose
 * values differ was written while capture was off (a disabled trigger,
 * `session_replication_role = replica` without capture, a restore).
 *
 * Values are compared after reading the image back into the table's row type
 * (`jsonb_populate_record`), so a timestamptz captured under another session
 * TimeZone compares equal; numeric scale and text bytes count, as in capture
 * (values are compared by their jsonb text in this one session).
 */
@Injectable()
export class CompletenessService {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly capture?: ResolvedCaptureOptions,
    @Optional() private readonly audit: AuditTables = AuditTables.DEFAULT,
  ) {}

  async check(options: CompletenessOptions = {}): Promise<CompletenessReport> {
    const started = Date.now();
    const batchSize = options.batchSize ?? 1000;
    const listLimit = options.listLimit ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
      throw new CompletenessError(
        `batchSize must be a whole number from 1 to 100000 (got ${JSON.stringify(options.batchSize)})`,
      );
    const names = options.tables?.length
      ? options.tables.map(parseTableName)
      : (this.capture?.tables ?? []).map((t) => ({ schema: t.schema, table: t.table }));
    if (names.length === 0)
      throw new CompletenessError('no tables to check: pass tables (--table NAME) or list tables under capture.tables');
    const described = await describeTables(this.dataSource, names);
    const deployed = await readDeployedCapture(this.dataSource, this.audit.schema, names);
    const tables: TableCompleteness[] = [];
    for (const [i, name] of names.entries()) {
      const key = `${name.schema}.${name.table}`;
      const description = described[i];
      const stamp = deployed[i]?.stamp;
      const empty = { table: key, rows: 0, withoutHistory: 0, divergent: 0, gaps: [] };
      if (!description || description.primaryKey.length === 0) {
        tables.push({ ...empty, problem: `${key} is not a table with a primary key` });
        continue;
      }
      if (!stamp) {
        tables.push({ ...empty, problem: `${key} has no Threadline capture deployed (run gen-triggers and migrate)` });
        continue;
      }
      const skipped = new Set([
        ...(stamp.excludedColumns ?? stamp.exclude),
        ...(stamp.maskedColumns ?? stamp.mask),
        ...(stamp.exceptedColumns ?? stamp.exceptColumns),
      ]);
      const compared = description.columns.map((c) => c.name).filter((c) => !skipped.has(c));
      const types = new Map(description.columns.map((c) => [c.name, c.type]));
      const primaryKey = description.primaryKey.map((k) => ({ name: k, type: types.get(k)! }));
      tables.push(await this.checkTable(key, name, primaryKey, compared, [...skipped], batchSize, listLimit, options));
    }
    return {
      ok: tables.every((t) => !t.problem && t.withoutHistory === 0 && t.divergent === 0),
      tables,
      durationMs: Date.now() - started,
    };
  }

  private async checkTable(
    label: string,
    name: { schema: string; table: string },
    primaryKey: { name: string; type: string }[],
    compared: string[],
    redacted: string[],
    batchSize: number,
    listLimit: number,
    options: CompletenessOptions,
  ): Promise<TableCompleteness> {
    const table = qualified(name.schema, name.table);
    const keyJson = `jsonb_build_object(${primaryKey.map((k) => `${literal(k.name)}, t.${ident(k.name)}`).join(', ')})`;
    const keyTuple = primaryKey.map((k) => `t.${ident(k.name)}`).join(', ');
    // The last key of a batch travels as text and is cast back to each column's type: exact for every type.
    const after = `(${keyTuple}) > (${primaryKey.map((k, i) => `$${i + 1}::${k.type}`).join(', ')})`;
    const differing = compared.length
      ? `array_remove(ARRAY[${compared
          .map(
            (c) =>
              `CASE WHEN l.image ? ${literal(c)} AND to_jsonb(p.${ident(c)})::text IS DISTINCT FROM to_jsonb(t.${ident(c)})::text THEN ${literal(c)} END`,
          )
          .join(', ')}]::text[], NULL)`
      : `'{}'::text[]`;
    // One batch: the next rows by key, each with the latest change of its key and that image read back as a row.
    const sql = (
      where: string,
    ) => `SELECT ${keyJson} AS key, ${primaryKey.map((k, i) => `t.${ident(k.name)}::text AS k${i}`).join(', ')},
         l.op, CASE WHEN l.op IS NOT NULL AND l.op <> 'delete' THEN ${differing} END AS differing
       FROM ${table} AS t
       LEFT JOIN LATERAL (
         SELECT c.op, c.data_after - ${textArray(redacted)} AS image
         FROM ${this.audit.changes} AS c
         WHERE c.table_schema = ${literal(name.schema)} AND c.table_name = ${literal(name.table)} AND c.table_pk = ${keyJson}
         ORDER BY c.id DESC LIMIT 1
       ) AS l ON true
       LEFT JOIN LATERAL jsonb_populate_record(NULL::${table}, l.image) AS p ON true
       ${where}
       ORDER BY ${keyTuple}
       LIMIT ${batchSize}`;
    const result: TableCompleteness = { table: label, rows: 0, withoutHistory: 0, divergent: 0, gaps: [] };
    let last: unknown[] | null = null;
    for (;;) {
      const rows: Record<string, unknown>[] =
        last === null ? await this.dataSource.query(sql('')) : await this.dataSource.query(sql(`WHERE ${after}`), last);
      for (const row of rows) {
        result.rows++;
        let gap: CompletenessGap | undefined;
        if (row.op === null) {
          result.withoutHistory++;
          gap = { key: row.key as Record<string, unknown>, problem: 'no_history' };
        } else if (row.op === 'delete') {
          result.divergent++;
          gap = { key: row.key as Record<string, unknown>, problem: 'latest_is_delete' };
        } else if ((row.differing as string[]).length > 0) {
          result.divergent++;
          gap = { key: row.key as Record<string, unknown>, problem: 'divergent', columns: row.differing as string[] };
        }
        if (gap && result.gaps.length < listLimit) result.gaps.push(gap);
      }
      options.onProgress?.(label, result.rows);
      if (rows.length < batchSize) return result;
      const lastRow = rows[rows.length - 1];
      last = primaryKey.map((_, i) => lastRow[`k${i}`]);
    }
  }
}

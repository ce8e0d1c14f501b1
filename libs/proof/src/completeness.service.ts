import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  describeTables,
  parseTableName,
  readDeployedCapture,
  ResolvedCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
} from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { CompletenessQueries } from './completeness-queries';
import { DataSource } from 'typeorm';
import { InvalidCompletenessOptionsError } from './proof.errors';
import { noCaptureDeployed, notATableWithPrimaryKey } from './proof.messages';

import { CompletenessGap, CompletenessOptions, CompletenessReport, TableCompleteness } from './completeness.types';

export * from './completeness.types';

/**
 * Completeness: does the audit log end where each row is now? Both ways:
 *
 * - every current row of an audited table is compared with the latest
 *   change that names its key (after redaction: excluded, masked and
 *   change-detection-excepted columns are not compared, nor columns the
 *   image does not hold, such as ones added since), in batches that walk
 *   the primary key. A row without any history, whose history says it is
 *   gone (deleted, moved to another key, emptied by a later TRUNCATE), or
 *   whose values differ was written while capture was off (a disabled
 *   trigger, `session_replication_role = replica` without capture, a
 *   restore);
 * - every key whose history ends with the row present is looked up in the
 *   table: one the table no longer holds was deleted or truncated while
 *   capture was off.
 *
 * Values are compared by their stored text and, where that differs, after
 * reading the image back into the column's type (so a timestamptz captured
 * under another session TimeZone compares equal; numeric scale and text
 * bytes count, as in capture). An image that no longer reads back (written
 * before an ALTER COLUMN ... TYPE) is compared as text and reported, never
 * a reason to stop.
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
      throw InvalidCompletenessOptionsError.batchSize(options.batchSize);
    const names = options.tables?.length
      ? options.tables.map(parseTableName)
      : (this.capture?.tables ?? []).map((t) => ({ schema: t.schema, table: t.table }));
    if (names.length === 0) throw InvalidCompletenessOptionsError.noTables();
    const described = await describeTables(this.dataSource, names);
    const deployed = await readDeployedCapture(this.dataSource, this.audit.schema, names);
    const tables: TableCompleteness[] = [];
    for (const [i, name] of names.entries()) {
      const key = `${name.schema}.${name.table}`;
      const description = described[i];
      const stamp = deployed[i]?.stamp;
      const empty = { table: key, rows: 0, withoutHistory: 0, divergent: 0, missing: 0, gaps: [] };
      if (!description || description.primaryKey.length === 0) {
        tables.push({ ...empty, problem: notATableWithPrimaryKey(key) });
        continue;
      }
      if (!stamp) {
        tables.push({ ...empty, problem: noCaptureDeployed(key) });
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
      ok: tables.every((t) => !t.problem && t.withoutHistory === 0 && t.divergent === 0 && t.missing === 0),
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
    const q = await CompletenessQueries.prepare(
      this.dataSource,
      this.audit.changes,
      name,
      primaryKey,
      compared,
      redacted,
    );
    const sql = (last: unknown[] | null, asStored: ReadonlySet<string>) => q.batch(last, asStored, batchSize);
    const result: TableCompleteness = { table: label, rows: 0, withoutHistory: 0, divergent: 0, missing: 0, gaps: [] };
    const note = (gap: CompletenessGap) => {
      if (result.gaps.length < listLimit) result.gaps.push(gap);
    };
    let last: unknown[] | null = null;
    const asStored = new Set<string>();
    for (;;) {
      const rows = await this.batch(sql, last, compared, asStored);
      for (const row of rows) {
        result.rows++;
        const key = row.key as Record<string, unknown>;
        if (row.state === null) {
          result.withoutHistory++;
          note({ key, problem: 'no_history' });
        } else if (row.state === 'gone') {
          result.divergent++;
          note({ key, problem: 'latest_is_delete' });
        } else if ((row.differing as string[]).length > 0) {
          result.divergent++;
          note({ key, problem: 'divergent', columns: row.differing as string[] });
        }
      }
      options.onProgress?.(label, result.rows);
      if (rows.length < batchSize) break;
      const lastRow = rows[rows.length - 1];
      last = primaryKey.map((_, i) => lastRow[`k${i}`]);
    }
    // The other way round: keys whose history ends with the row present (after the last TRUNCATE)
    // that the table no longer holds.
    const [gone] = await this.dataSource.query(q.missing(listLimit));
    result.missing = gone.count;
    for (const key of gone.keys as Record<string, unknown>[]) note({ key, problem: 'missing' });
    options.onProgress?.(label, result.rows);
    return result;
  }

  /**
   * One batch of rows after `last`. When reading an image back into its column's type fails (an
   * image from before an ALTER COLUMN ... TYPE), each column is tried alone to find which ones
   * cannot be read back; those are compared as stored from then on (`asStored` grows).
   */
  private async batch(
    sql: (last: unknown[] | null, asStored: ReadonlySet<string>) => { sql: string; values: unknown[] },
    last: unknown[] | null,
    compared: string[],
    asStored: Set<string>,
  ): Promise<Record<string, unknown>[]> {
    const read = (stored: ReadonlySet<string>): Promise<Record<string, unknown>[]> => {
      const batch = sql(last, stored);
      return this.dataSource.query(batch.sql, batch.values);
    };
    for (;;) {
      try {
        return await read(asStored);
      } catch (error) {
        if (!isDataException(error)) throw error;
        let found = false;
        for (const column of compared.filter((c) => !asStored.has(c))) {
          try {
            await read(new Set(compared.filter((c) => c !== column)));
          } catch (probe) {
            if (!isDataException(probe)) throw probe;
            asStored.add(column);
            found = true;
          }
        }
        if (!found) throw error;
      }
    }
  }
}

/**
 * A value PostgreSQL could not read into a type: a data exception (class 22) or a domain's
 * constraint (class 23: a CHECK or NOT NULL of a domain type), as TypeORM or pg reports it.
 */
function isDataException(error: unknown): boolean {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } })?.code ??
    (error as { driverError?: { code?: unknown } })?.driverError?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

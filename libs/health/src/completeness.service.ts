import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  describeTables,
  parseTableName,
  readDeployedCapture,
  ResolvedCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
} from '@threadline/capture';
import { AuditTables, ident, literal, qualified, textArray } from '@threadline/core';
import { DataSource } from 'typeorm';
import { InvalidCompletenessOptionsError } from './health.errors';
import { noCaptureDeployed, notATableWithPrimaryKey } from './health.messages';

/**
 * A row whose history does not end where the table is: a current row with
 * no history (`no_history`), one whose latest captured image differs
 * (`divergent`), one the history says is gone (`latest_is_delete`: deleted,
 * moved to another key, or emptied by a later TRUNCATE), or a row the
 * history says exists that the table no longer holds (`missing`: deleted
 * or truncated while capture was off).
 */
export interface CompletenessGap {
  /** The row's primary key. */
  key: Record<string, unknown>;
  problem: 'no_history' | 'divergent' | 'latest_is_delete' | 'missing';
  /** For `divergent`: the columns whose current value differs from the latest captured image. */
  columns?: string[];
}

export interface TableCompleteness {
  table: string;
  /** Rows checked (every current row). */
  rows: number;
  withoutHistory: number;
  /** Current rows whose latest captured image differs, or whose history says they are gone. */
  divergent: number;
  /** Keys the history says exist that the table does not hold. */
  missing: number;
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
    const table = qualified(name.schema, name.table);
    const ofTable = `c.table_schema = ${literal(name.schema)} AND c.table_name = ${literal(name.table)}`;
    const keyJson = `jsonb_build_object(${primaryKey.map((k) => `${literal(k.name)}, t.${ident(k.name)}`).join(', ')})`;
    const keyTuple = primaryKey.map((k) => `t.${ident(k.name)}`).join(', ');
    // TRUNCATEs recorded: on a plain table one empties the table, so older images describe rows that
    // are gone. A partitioned table records one per partition it emptied, with the partition's bounds
    // then (schema v6): only rows within them are gone. Recorded bounds are used only as the text of a
    // partition's bounds now (never run as stored: the SQL comes from the catalog); bounds no partition
    // has any more excuse nothing, so those rows are reported. A truncate recorded before v6, with no
    // bounds, only bounds which rows are expected to exist.
    const [{ partitioned }] = await this.dataSource.query(
      `SELECT (SELECT k.relkind = 'p' FROM pg_catalog.pg_class AS k WHERE k.oid = ${literal(table)}::regclass) AS partitioned`,
    );
    const truncates: { id: string; bounds: string | null }[] = await this.dataSource.query(
      `SELECT c.id::text AS id, c.data_after->>'bounds' AS bounds FROM ${this.audit.changes} AS c
       WHERE ${ofTable} AND c.op = 'truncate' ORDER BY c.id`,
    );
    const current = new Set<string>(
      partitioned
        ? (
            await this.dataSource.query(
              `SELECT pg_catalog.pg_get_partition_constraintdef(p.relid) AS bounds
               FROM pg_catalog.pg_partition_tree(${literal(table)}::regclass) AS p WHERE p.isleaf`,
            )
          )
            .map((row: { bounds: string | null }) => row.bounds)
            .filter((bounds: string | null): bounds is string => bounds !== null)
        : [],
    );
    const within = (bounds: string, key: string) =>
      `EXISTS (SELECT 1 FROM jsonb_populate_record(NULL::${table}, ${key}) AS r WHERE ${bounds})`;
    // the latest truncate of each set of bounds is the one that counts (truncates come in id order)
    const latestByBounds = new Map<string, string>();
    let truncated = '0';
    for (const x of truncates) {
      if (!partitioned || x.bounds === null) truncated = x.id;
      else if (current.has(x.bounds)) latestByBounds.set(x.bounds, x.id);
    }
    const known = [...latestByBounds].map(([bounds, id]) => ({ id, bounds }));
    const goneByTruncate = !partitioned
      ? `l.id < ${literal(truncated)}::bigint`
      : known.length
        ? `(${known.map((x) => `(l.id < ${literal(x.id)}::bigint AND ${within(x.bounds, keyJson)})`).join(' OR ')})`
        : 'false';
    // a key gone with a recorded TRUNCATE of a partition whose bounds then held it
    const excusedByTruncate = known
      .map((x) => ` AND NOT (l.id < ${literal(x.id)}::bigint AND ${within(x.bounds, 'l.key')})`)
      .join('');
    // The last key of a batch travels as text and is cast back to each column's type: exact for every type.
    const after = `(${keyTuple}) > (${primaryKey.map((k, i) => `$${i + 1}::${k.type}`).join(', ')})`;
    // A column differs when its stored text differs and, read back into the column's type (so an
    // instant written under another TimeZone compares equal), still differs. Columns in `asStored`
    // skip the read-back: images from before an ALTER COLUMN ... TYPE may not read back at all.
    const differing = (asStored: ReadonlySet<string>) =>
      compared.length
        ? `array_remove(ARRAY[${compared
            .map((c) => {
              const now = `to_jsonb(t.${ident(c)})::text`;
              const readBack = `to_jsonb((jsonb_populate_record(NULL::${table}, jsonb_build_object(${literal(c)}, l.image->${literal(c)}))).${ident(c)})::text`;
              return `CASE WHEN l.image ? ${literal(c)} AND (l.image->${literal(c)})::text IS DISTINCT FROM ${now}${asStored.has(c) ? '' : ` AND ${readBack} IS DISTINCT FROM ${now}`} THEN ${literal(c)} END`;
            })
            .join(', ')}]::text[], NULL)`
        : `'{}'::text[]`;
    // One batch: the next rows by key, each with the latest change that names its key (as the row's
    // key, or as the key it moved away from).
    const sql = (afterLast: boolean, asStored: ReadonlySet<string>) => `SELECT ${keyJson} AS key, ${primaryKey
      .map((k, i) => `t.${ident(k.name)}::text AS k${i}`)
      .join(', ')},
         CASE WHEN l.op IS NULL THEN NULL WHEN l.op IN ('delete', 'moved') OR ${goneByTruncate} THEN 'gone' ELSE 'present' END AS state,
         CASE WHEN l.op NOT IN ('delete', 'moved') THEN ${differing(asStored)} END AS differing
       FROM ${table} AS t
       LEFT JOIN LATERAL (
         SELECT c.id, CASE WHEN c.table_pk = ${keyJson} THEN c.op::text ELSE 'moved' END AS op, c.data_after - ${textArray(redacted)} AS image
         FROM ${this.audit.changes} AS c
         WHERE ${ofTable} AND (c.table_pk = ${keyJson} OR c.previous_pk = ${keyJson})
         ORDER BY c.id DESC LIMIT 1
       ) AS l ON true
       ${afterLast ? `WHERE ${after}` : ''}
       ORDER BY ${keyTuple}
       LIMIT ${batchSize}`;
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
    // that the table no longer holds. Compared as captured keys, in one anti-join.
    const [gone] = await this.dataSource.query(
      `WITH events AS (
         SELECT c.table_pk AS key, c.id, c.op::text AS op FROM ${this.audit.changes} AS c
         WHERE ${ofTable} AND c.op <> 'truncate' AND c.id > ${literal(truncated)}::bigint
         UNION ALL
         SELECT c.previous_pk, c.id, 'moved' FROM ${this.audit.changes} AS c
         WHERE ${ofTable} AND c.previous_pk IS NOT NULL AND c.id > ${literal(truncated)}::bigint
       ), latest AS (
         SELECT DISTINCT ON (e.key) e.key, e.op, e.id FROM events AS e ORDER BY e.key, e.id DESC
       ), missing AS (
         SELECT l.key FROM latest AS l
         WHERE l.op NOT IN ('delete', 'moved') AND NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE ${keyJson} = l.key)${excusedByTruncate}
       )
       SELECT (SELECT count(*) FROM missing)::int AS count,
              (SELECT coalesce(jsonb_agg(m.key), '[]') FROM (SELECT key FROM missing ORDER BY key LIMIT ${listLimit}) AS m) AS keys`,
    );
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
    sql: (afterLast: boolean, asStored: ReadonlySet<string>) => string,
    last: unknown[] | null,
    compared: string[],
    asStored: Set<string>,
  ): Promise<Record<string, unknown>[]> {
    const read = (stored: ReadonlySet<string>): Promise<Record<string, unknown>[]> =>
      this.dataSource.query(sql(last !== null, stored), last ?? []);
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

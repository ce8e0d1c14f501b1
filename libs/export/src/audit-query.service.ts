import { Inject, Injectable, Optional } from '@nestjs/common';
import { ActorRef } from '@threadline/actor';
import {
  describeTables,
  parseTableName,
  ResolvedCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
} from '@threadline/capture';
import { literal, qualified } from '@threadline/core';
import { to as copyTo } from 'pg-copy-streams';
import { StringDecoder } from 'string_decoder';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { AuditChange, AuditTransaction } from './audit-change';
import { BeforeAuditHorizonError, DeletedRecordError, InvalidFilterError } from './export.error';
import { decodeCursor, encodeCursor, NormalizedFilters, normalizeFilters, TimelineFilters } from './timeline-filters';

export interface Page<T> {
  changes: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface PageOptions {
  /** @default 50, at most 1000 */
  limit?: number;
  cursor?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Exploration queries over the audit tables: timeline, history, as-of,
 * actor history, one transaction's changes. Newest first (`captured_at`,
 * then `id`), paged by keyset, never by OFFSET.
 */
@Injectable()
export class AuditQueryService {
  private readonly changesTable: string;
  private readonly transactionsTable: string;
  private readonly actionsTable: string;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(THREADLINE_CAPTURE_OPTIONS) capture?: ResolvedCaptureOptions,
  ) {
    const schema = capture?.auditSchema ?? 'public';
    this.changesTable = qualified(schema, 'audit_changes');
    this.transactionsTable = qualified(schema, 'audit_transactions');
    this.actionsTable = qualified(schema, 'audit_actions');
  }

  /** Changes matching the filters, newest first, one page at a time. */
  async timeline(filters: TimelineFilters = {}, page: PageOptions = {}): Promise<Page<AuditChange>> {
    const limit = pageLimit(page.limit);
    const rows = await this.select(
      normalizeFilters(filters),
      limit + 1,
      page.cursor ? decodeCursor(page.cursor) : undefined,
    );
    const changes = rows.slice(0, limit);
    const last = changes[changes.length - 1];
    return { changes, nextCursor: rows.length > limit && last ? encodeCursor(last.captured_at, last.id) : null };
  }

  /** Every matching change, newest first, fetched page by page: memory stays flat however many there are. */
  async *streamChanges(filters: TimelineFilters = {}, pageSize = 1000): AsyncGenerator<AuditChange> {
    for await (const page of this.streamPages(filters, pageSize)) yield* page;
  }

  /** The same, a keyset page at a time (exports format a page at once: far fewer allocations than per row). */
  async *streamPages(filters: TimelineFilters = {}, pageSize = 1000): AsyncGenerator<AuditChange[]> {
    const normalized = normalizeFilters(filters);
    let after: { capturedAt: string; id: string } | undefined;
    for (;;) {
      const rows = await this.select(normalized, pageSize, after);
      if (rows.length) yield rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { capturedAt: last.captured_at, id: last.id };
    }
  }

  /** Changes of one row, newest first; `primaryKey` is the value, or an object for composite keys. A changed key is found by old and new value. */
  async history<E extends ObjectLiteral>(
    target: string | EntityTarget<E>,
    primaryKey: unknown,
    page: PageOptions = {},
  ): Promise<AuditChange[]> {
    const where = await this.rowCondition(target, primaryKey);
    return this.select({}, pageLimit(page.limit ?? 1000), page.cursor ? decodeCursor(page.cursor) : undefined, where);
  }

  /**
   * The row as it was at `at` (its redacted image), or with `{ entity: true }`
   * an instance of the entity class. Throws DeletedRecordError or
   * BeforeAuditHorizonError rather than inventing a row.
   */
  async asOf<E extends ObjectLiteral>(
    target: string | EntityTarget<E>,
    primaryKey: unknown,
    at: Date | string,
    options: { entity?: boolean } = {},
  ): Promise<Record<string, unknown> | E> {
    const when = at instanceof Date ? at.toISOString() : at;
    if (typeof when !== 'string' || Number.isNaN(Date.parse(when)))
      throw new InvalidFilterError(`at must be a date or ISO 8601 timestamp (got ${JSON.stringify(at)})`);
    const where = await this.rowCondition(target, primaryKey);
    where.sql.push(`c.captured_at <= $${where.params.length + 1}::timestamptz`);
    where.params.push(when);
    const [latest] = await this.select({}, 1, undefined, where);
    const label = `${typeof target === 'string' ? target : this.tableOf(target).table} ${JSON.stringify(primaryKey)}`;
    if (!latest)
      throw new BeforeAuditHorizonError(
        `${label} has no captured change at or before ${when} (before_audit_horizon): its history starts later, or it was never captured`,
      );
    if (latest.op === 'delete')
      throw new DeletedRecordError(
        `${label} was deleted at ${latest.captured_at}, at or before ${when} (deleted_record)`,
      );
    if (!options.entity || typeof target === 'string') return latest.data_after ?? {};
    const metadata = this.dataSource.getMetadata(target);
    const values: Record<string, unknown> = {};
    for (const column of metadata.columns) {
      if (latest.data_after && column.databaseName in latest.data_after)
        values[column.propertyName] = latest.data_after[column.databaseName];
    }
    return this.dataSource.manager.create(target, values as never) as E;
  }

  /** Transactions of one actor, newest first. */
  async actorHistory(
    actor: ActorRef | { type: string; id?: string } | string,
    page: PageOptions = {},
  ): Promise<AuditTransaction[]> {
    const { actor: ref } = normalizeFilters({ actorRef: actor });
    const limit = pageLimit(page.limit);
    return this.dataSource
      .query(
        `SELECT ${this.transactionJson('t')} AS tx FROM ${this.transactionsTable} AS t WHERE t.actor_ref = $1::jsonb ORDER BY t.occurred_at DESC, t.id DESC LIMIT ${limit}`,
        [ref!.serialize()],
      )
      .then((rows: { tx: AuditTransaction }[]) => rows.map((r) => r.tx));
  }

  /** All changes of one transaction, newest first. A malformed id is an error; an unknown one is an empty list. */
  async changesForTransaction(id: string): Promise<AuditChange[]> {
    if (typeof id !== 'string' || !UUID.test(id))
      throw new InvalidFilterError(`transaction id must be a UUID (got ${JSON.stringify(id)})`);
    return this.select({}, 100_000, undefined, { sql: ['c.transaction_id = $1::uuid'], params: [id] });
  }

  private async select(
    filters: NormalizedFilters,
    limit: number,
    after?: { capturedAt: string; id: string },
    extra?: { sql: string[]; params: unknown[] },
  ): Promise<AuditChange[]> {
    const params: unknown[] = [...(extra?.params ?? [])];
    const bind = (value: string) => {
      params.push(value);
      return `$${params.length}`;
    };
    return this.dataSource.query(this.changesQuery('r.*', filters, limit, bind, after, extra?.sql), params);
  }

  /**
   * One keyset page of changes matching the filters (up to `limit`, older
   * than `after`), newest first, as text PostgreSQL formats itself and streams
   * with COPY: one line per change, either the change as a JSON object
   * (`ndjson`: the same fields as AuditChange) or a JSON array of the CSV
   * columns as strings (`csv-cells`; id first, captured_at sixth). No row
   * objects are built in Node, so memory stays flat whatever the page size.
   */
  async *copyLines(
    filters: TimelineFilters,
    limit: number,
    shape: 'ndjson' | 'csv-cells',
    after?: { capturedAt: string; id: string },
  ): AsyncGenerator<string> {
    const normalized = normalizeFilters(filters);
    const driver = this.dataSource.driver as unknown as {
      obtainMasterConnection(): Promise<[CopyClient, (error?: unknown) => void]>;
    };
    const [client, release] = await driver.obtainMasterConnection();
    // COPY takes no bind parameters: values go in as literals, quoted by node-pg (backslash-safe whatever standard_conforming_strings says)
    const sql = this.changesQuery(
      shape === 'ndjson' ? `row_to_json(r)::text` : this.csvCells(),
      normalized,
      limit,
      (value) => client.escapeLiteral(value),
      after,
    );
    // CSV format with delimiter and quote bytes that JSON text never holds raw (it escapes control characters): each line arrives verbatim
    const stream: NodeJS.ReadableStream = client.query(
      copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`),
    );
    const decoder = new StringDecoder('utf8');
    let finished = false;
    // A connection checked out of the pool has no 'error' listener of its own (the pool listens only while it is
    // idle): a backend terminated mid-COPY (failover, pooler restart, pg_terminate_backend) would emit an unhandled
    // 'error' and end the whole process. The stream fails too, so the export fails with the reason instead.
    let connectionError: unknown;
    const onConnectionError = (error: unknown) => (connectionError = error);
    client.on('error', onConnectionError);
    try {
      for await (const chunk of stream) {
        const text = decoder.write(chunk as Buffer);
        if (text) yield text;
      }
      if (connectionError) throw connectionError;
      finished = true;
    } finally {
      // stopped early (the client went away, or maxRows reached): the connection is still mid-COPY, so close it rather than pool it
      release(finished ? undefined : (connectionError ?? new Error('export stopped before COPY finished')));
      client.removeListener('error', onConnectionError);
    }
  }

  /**
   * One SELECT over changes `c` joined to their transaction `t`. `bind` turns
   * a value into a placeholder (queries) or a quoted literal (COPY). The
   * AuditChange fields are built in a LATERAL row `r`, so `r.*` and
   * `row_to_json(r)` share one definition while ORDER BY still walks the
   * captured_at index (PostgreSQL flattens it, computing only what is used).
   */
  private changesQuery(
    columns: string,
    filters: NormalizedFilters,
    limit: number,
    bind: (value: string) => string,
    after?: { capturedAt: string; id: string },
    extraSql: string[] = [],
  ): string {
    const sql = [...extraSql];
    if (filters.table)
      sql.push(`c.table_schema = ${bind(filters.table.schema)} AND c.table_name = ${bind(filters.table.table)}`);
    if (filters.actor) sql.push(`t.actor_ref = ${bind(filters.actor.serialize())}::jsonb`);
    if (filters.from) sql.push(`c.captured_at >= ${bind(filters.from)}::timestamptz`);
    if (filters.to) sql.push(`c.captured_at <= ${bind(filters.to)}::timestamptz`);
    if (filters.correlationId) {
      // The transactions carrying the id, or linked to an action that does, computed first as an array: the
      // planner then drives the transaction_id index from that small set whatever the statistics say (as a
      // plain IN (...) it seq-scanned all changes when audit_actions was empty). The ORDER BY below sorts on
      // an expression for this filter, so it cannot walk the captured_at index hoping to meet matches early.
      const id = bind(filters.correlationId);
      sql.push(`c.transaction_id = ANY (ARRAY(SELECT t2.id FROM ${this.transactionsTable} AS t2 WHERE t2.correlation_id = ${id}
        UNION SELECT t3.id FROM ${this.transactionsTable} AS t3 JOIN ${this.actionsTable} AS a ON a.id = t3.action_id WHERE a.correlation_id = ${id}))`);
    }
    if (after) sql.push(`(c.captured_at, c.id) < (${bind(after.capturedAt)}::timestamptz, ${bind(after.id)}::bigint)`);
    return `SELECT ${columns}
       FROM ${this.changesTable} AS c JOIN ${this.transactionsTable} AS t ON t.id = c.transaction_id
       CROSS JOIN LATERAL (SELECT c.id::text AS id, c.transaction_id, c.table_schema, c.table_name, c.op, ${ISO('c.captured_at')} AS captured_at,
         c.table_pk, c.previous_pk, c.data_after, c.changed_fields, c.changed_from, ${this.transactionJson('t')} AS transaction) AS r
       ${sql.length ? `WHERE ${sql.join(' AND ')}` : ''}
       ORDER BY ${filters.correlationId ? `c.captured_at + interval '0'` : 'c.captured_at'} DESC, c.id DESC
       LIMIT ${limit}`;
  }

  /** The CSV export's columns (CSV_COLUMNS' order), each as text ('' for none), in one JSON array per change. */
  private csvCells(): string {
    return `json_build_array(c.id::text, c.transaction_id::text, c.table_schema, c.table_name, c.op, ${ISO('c.captured_at')},
      c.table_pk::text, coalesce(c.data_after::text, ''), coalesce(to_json(c.changed_fields)::text, ''), coalesce(c.changed_from::text, ''),
      (${this.transactionJson('t')})::text, coalesce(t.correlation_id, ''), coalesce(t.action_id::text, ''))::text`;
  }

  private transactionJson(t: string): string {
    return `jsonb_build_object('id', ${t}.id, 'txid', ${t}.txid::text, 'occurred_at', ${ISO(`${t}.occurred_at`)}, 'actor_ref', ${t}.actor_ref,
      'correlation_id', ${t}.correlation_id, 'request_id', ${t}.request_id, 'action_id', ${t}.action_id, 'source', ${t}.source, 'meta', ${t}.meta)`;
  }

  private tableOf<E extends ObjectLiteral>(target: string | EntityTarget<E>): { schema: string; table: string } {
    if (typeof target === 'string') return parseTableName(target);
    const metadata = this.dataSource.getMetadata(target);
    return { schema: metadata.schema ?? 'public', table: metadata.tableName };
  }

  /**
   * `c` is the row: its key now, or its key before an UPDATE that changed it.
   * The key is rebuilt with each column's own type, so 1 and '1' match and the
   * comparison is one jsonb equality the row index serves.
   */
  private async rowCondition<E extends ObjectLiteral>(
    target: string | EntityTarget<E>,
    primaryKey: unknown,
  ): Promise<{ sql: string[]; params: unknown[] }> {
    const table = this.tableOf(target);
    const [description] = await describeTables(this.dataSource, [table]);
    if (!description) throw new InvalidFilterError(`${table.schema}.${table.table} is not a table`);
    const keyColumns = description.primaryKey;
    let key: Record<string, unknown>;
    if (primaryKey !== null && typeof primaryKey === 'object' && !(primaryKey instanceof Date)) {
      key = primaryKey as Record<string, unknown>;
      if (typeof target !== 'string') {
        // entity property names to column names
        const metadata = this.dataSource.getMetadata(target);
        key = Object.fromEntries(
          Object.entries(key).map(([k, v]) => [metadata.findColumnWithPropertyName(k)?.databaseName ?? k, v]),
        );
      }
    } else {
      if (keyColumns.length !== 1) {
        throw new InvalidFilterError(
          `${table.schema}.${table.table} has a composite primary key (${keyColumns.join(', ')}); pass an object with each column`,
        );
      }
      key = { [keyColumns[0]]: primaryKey };
    }
    const given = Object.keys(key).sort();
    if (given.join() !== [...keyColumns].sort().join()) {
      throw new InvalidFilterError(
        `the primary key of ${table.schema}.${table.table} is (${keyColumns.join(', ')}); got (${given.join(', ')})`,
      );
    }
    const params: unknown[] = [table.schema, table.table];
    const pairs = keyColumns.map((column) => {
      const type = description.columns.find((c) => c.name === column)!.type;
      params.push(key[column] === null ? null : String(key[column]));
      return `${literal(column)}, $${params.length}::text::${type}`;
    });
    const pk = `jsonb_build_object(${pairs.join(', ')})`;
    return {
      sql: ['c.table_schema = $1 AND c.table_name = $2', `(c.table_pk = ${pk} OR c.previous_pk = ${pk})`],
      params,
    };
  }
}

/** The part of node-pg's client a COPY needs. */
interface CopyClient {
  query(stream: ReturnType<typeof copyTo>): NodeJS.ReadableStream;
  escapeLiteral(value: string): string;
  on(event: 'error', listener: (error: unknown) => void): void;
  removeListener(event: 'error', listener: (error: unknown) => void): void;
}

function pageLimit(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidFilterError(`limit must be an integer from 1 to 1000 (got ${JSON.stringify(limit)})`);
  return n;
}

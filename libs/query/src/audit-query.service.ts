import { Injectable, Optional } from '@nestjs/common';
import { ActorRef } from '@threadline/actor';
import { AuditTables, isIsoTimestamp, parseStoredJson, SqlParams } from '@threadline/core';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { readActions, TransactionActions } from './audit-action';
import { AuditChange, AuditTransaction } from './audit-change';
import { AuditStorage, ReadHow } from './audit-storage';
import { ChangesQuery } from './changes-query';
import { PreviousImages, readPreviousImages } from './previous-images';
import { copyText } from './copy-text';
import { keysetPage, Page, pageBytes, pageCut, pageLimit, PageOptions } from './page';
import { checkChangeId, entityOf, keyOfChange, rowCondition, tableOf } from './row-key';
import { BeforeAuditHorizonError, DeletedRecordError, InvalidPageError } from './query.errors';
import { decodeCursor } from './cursor';
import { normalizeFilters } from './normalize-filters';
import { NormalizedFilters, TimelineFilters, TRANSACTION_ID_PATTERN } from './timeline-filters';

/**
 * Exploration queries over the audit tables: timeline, history, as-of, actor history, one transaction's changes.
 * Newest first (`captured_at`, then `id`), paged by keyset, never by OFFSET.
 */
@Injectable()
export class AuditQueryService {
  private readonly query: ChangesQuery;
  private readonly storage: AuditStorage;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.query = new ChangesQuery(tables);
    this.storage = new AuditStorage(dataSource, tables);
  }

  /**
   * Changes matching the filters, newest first, one page at a time: up to `limit` changes and `maxBytes` of their
   * JSON (a page of large values ends early; its cursor leads on to the rest).
   */
  async timeline(filters: TimelineFilters = {}, page: PageOptions = {}): Promise<Page<AuditChange>> {
    const limit = pageLimit(page.limit);
    const maxBytes = pageBytes(page.maxBytes);
    const normalized = normalizeFilters(filters);
    if (page.cursor && page.before) throw InvalidPageError.cursorAndBefore();
    // Backwards (`before`): the `limit` changes just newer than it, read oldest first, shown newest first.
    const direction = page.before ? 'newer' : 'older';
    const from = page.before ?? page.cursor;
    const read = await this.select(normalized, limit + 1, from ? decodeCursor(from) : undefined, {
      direction,
      maxBytes,
    });
    return keysetPage(read, limit, direction, !!page.cursor);
  }

  /** Every matching change, newest first, a page of `pageSize` at a time: memory holds one page however many there are. */
  async *streamChanges(filters: TimelineFilters = {}, pageSize = 1000): AsyncGenerator<AuditChange> {
    for await (const page of this.streamPages(filters, pageSize)) yield* page;
  }

  /** The same, a keyset page at a time (exports format a page at once: far fewer allocations than per row). */
  async *streamPages(filters: TimelineFilters = {}, pageSize = 1000): AsyncGenerator<AuditChange[]> {
    const normalized = normalizeFilters(filters);
    let after: { capturedAt: string; id: string } | undefined;
    for (;;) {
      const { changes: rows } = await this.select(normalized, pageSize, after);
      if (rows.length) yield rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { capturedAt: last.captured_at, id: last.id };
    }
  }

  /**
   * Changes of one row, newest first; `primaryKey` is the value, or an object for composite keys. A changed key is
   * found by old and new value. A TRUNCATE of the table after one of the row's changes is part of its history (op
   * `truncate`): it removed the row.
   */
  async history<E extends ObjectLiteral>(
    target: string | EntityTarget<E>,
    primaryKey: unknown,
    page: PageOptions = {},
  ): Promise<AuditChange[]> {
    const where = await rowCondition(this.dataSource, target, primaryKey, this.tables.changes);
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const maxBytes = page.maxBytes === undefined ? undefined : pageBytes(page.maxBytes); // only when asked: no cursor to go on
    return (await this.select({}, pageLimit(page.limit ?? 1000), after, { extra: where, maxBytes })).changes;
  }

  /**
   * One page of a row's history (see history()), newest first, with the cursor of the next (older) page. `key` is
   * the row's primary key as an object of column values (`{ id: 1 }`), as `table_pk` shows it.
   */
  async historyPage(table: string, key: Record<string, unknown>, page: PageOptions = {}): Promise<Page<AuditChange>> {
    const limit = pageLimit(page.limit);
    const maxBytes = pageBytes(page.maxBytes);
    const extra = await rowCondition(this.dataSource, table, key, this.tables.changes);
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const read = await this.select({}, limit + 1, after, { extra, maxBytes });
    const { changes, nextCursor } = keysetPage(read, limit, 'older', false);
    return { changes, nextCursor };
  }

  /** The key of the row a change (by id) of `table` was made to: a history named by a change (see keyOfChange). */
  async keyOfChange(table: string, changeId: string): Promise<Record<string, unknown>> {
    return keyOfChange(this.dataSource, this.tables.changes, table, changeId);
  }

  /** One change of a row's history by its id (the as-of state right after it), or null when it is not the row's. */
  async changeOfRow(table: string, key: Record<string, unknown>, changeId: string): Promise<AuditChange | null> {
    checkChangeId(changeId);
    const where = await rowCondition(this.dataSource, table, key, this.tables.changes);
    const extra = (p: SqlParams) => [...where(p), `c.id = ${p.add(changeId)}::bigint`];
    return (await this.select({}, 1, undefined, { extra })).changes[0] ?? null;
  }

  /**
   * The row as it was at `at` (its redacted image), or with `{ entity: true }` an instance of the entity class.
   * Throws DeletedRecordError (deleted, or removed by a TRUNCATE) or BeforeAuditHorizonError rather than inventing a row.
   */
  async asOf<E extends ObjectLiteral>(
    target: string | EntityTarget<E>,
    primaryKey: unknown,
    at: Date | string,
    options: { entity?: boolean } = {},
  ): Promise<Record<string, unknown> | E> {
    const when = at instanceof Date ? at.toISOString() : at;
    if (typeof when !== 'string' || !isIsoTimestamp(when)) throw InvalidPageError.asOfTime(at);
    const row = await rowCondition(this.dataSource, target, primaryKey, this.tables.changes);
    const extra = (p: SqlParams) => [...row(p), `c.captured_at <= ${p.add(when)}::timestamptz`];
    const [latest] = (await this.select({}, 1, undefined, { extra, upTo: when })).changes;
    const label = `${typeof target === 'string' ? target : tableOf(this.dataSource, target).table} ${JSON.stringify(primaryKey)}`;
    if (!latest) throw BeforeAuditHorizonError.create(label, when);
    if (latest.op === 'delete' || latest.op === 'truncate') throw DeletedRecordError.removedBy(label, latest, when);
    if (!options.entity || typeof target === 'string') return latest.data_after ?? {};
    return entityOf(this.dataSource, target, latest.data_after ?? {});
  }

  /** Transactions of one actor, newest first. */
  async actorHistory(
    actor: ActorRef | { type: string; id?: string } | string,
    page: PageOptions = {},
  ): Promise<AuditTransaction[]> {
    const { actor: ref } = normalizeFilters({ actorRef: actor });
    const limit = pageLimit(page.limit);
    const rows: { tx: string }[] = await this.dataSource.query(this.query.actorTransactions(limit), [ref!.serialize()]);
    return rows.map((r) => parseStoredJson<AuditTransaction>(r.tx));
  }

  /**
   * One page of a transaction's changes, newest first, keyset paged like the timeline (`cursor` for the next page,
   * `before` for the previous one; `limit` at most 1000): a 100,000-change import is read a page at a time, never
   * whole. A malformed id is an error; an unknown one is an empty page. Every change: `streamChanges({ transactionId })`.
   */
  async changesForTransaction(id: string, page: PageOptions = {}): Promise<Page<AuditChange>> {
    if (typeof id !== 'string' || !TRANSACTION_ID_PATTERN.test(id)) throw InvalidPageError.transactionId(id);
    return this.timeline({ transactionId: id }, page);
  }

  /**
   * For each change whose diff reads it (needsPreviousImage), the row's image just before it: the `data_after` of
   * the row's latest earlier change (by its key before the change), or null when there is none (the row predates
   * capture) or it was a delete. One query, whatever the number of changes; keyed by change id. Images stop once
   * they fill `maxBytes` (PageOptions.maxBytes): `cut` is then the index of the first change left without its image.
   */
  async previousImages(changes: AuditChange[], maxBytes?: number): Promise<PreviousImages> {
    return readPreviousImages(this.dataSource, this.query, changes, maxBytes);
  }

  /**
   * A page with the previous images its diffs read (previousImages), within `maxBytes` of images: a page whose
   * images do not all fit ends at the first change left without one, its next cursor leading on from there.
   */
  async withPreviousImages(
    page: Page<AuditChange>,
    maxBytes?: number,
    /** How the page was read: 'newer' for one read from a `before` cursor, whose cut keeps the changes nearest it. */
    direction: 'older' | 'newer' = 'older',
  ): Promise<{ page: Page<AuditChange>; previous: PreviousImages }> {
    const read = direction === 'older' ? page.changes : [...page.changes].reverse();
    const previous = await this.previousImages(read, maxBytes);
    return { page: previous.cut === undefined ? page : pageCut(page, previous.cut, direction), previous };
  }

  /** The actions a transaction (row or id, even one without changes) recorded, oldest first (see actionsOf). */
  async actionsOfTransaction(transaction: AuditTransaction | string, limit = 20): Promise<TransactionActions> {
    const id = typeof transaction === 'object' && transaction ? transaction.id : transaction;
    return (await this.actionsOf([id], limit)).get(String(id).toLowerCase()) ?? { actions: [], total: 0 };
  }

  /**
   * The actions of each of these transactions (rows or ids), by lower-case transaction id, in one query: the first
   * `limit` (1-1000) each recorded, oldest first, and how many it recorded (`action_id` names only the last). All
   * of them together stop at `maxBytes` of action JSON (default PAGE_MAX_BYTES; the first is always kept): past it
   * a transaction keeps its `total` with fewer `actions`, or none.
   */
  async actionsOf(
    transactions: (AuditTransaction | string)[],
    limit = 20,
    maxBytes?: number,
  ): Promise<Map<string, TransactionActions>> {
    return readActions(this.dataSource, this.query, transactions, limit, maxBytes);
  }

  /** Up to `limit` changes (and, given `maxBytes`, that many bytes of their JSON); `more`: some were left out. */
  private async select(
    filters: NormalizedFilters,
    limit: number,
    after?: { capturedAt: string; id: string },
    how: ReadHow = {},
  ): Promise<{ changes: AuditChange[]; more: boolean }> {
    const params = SqlParams.bound();
    const direction = how.direction ?? 'older';
    const storage = await this.storage.of(how.upTo);
    // the row as JSON text, parsed without losing a digit (numeric, bigint keys; see parseStoredJson)
    const columns = 'to_json(r)::text AS row, c.captured_at AS at_, c.id AS id_';
    const page = this.query.select(columns, filters, limit, params, {
      after,
      direction,
      storage,
      extra: how.extra?.(params),
    });
    const sql = how.maxBytes === undefined ? page : this.query.withinBytes(page, how.maxBytes, direction);
    const rows: { row: string | null }[] = await this.dataSource.query(sql, params.values);
    const kept = rows.filter((r): r is { row: string } => r.row !== null);
    return {
      changes: kept.map((r) => parseStoredJson<AuditChange>(r.row)),
      more: rows.length >= limit || kept.length < rows.length,
    };
  }

  /**
   * One keyset page of changes matching the filters (up to `limit`, older than `after`), newest first, as text
   * PostgreSQL formats itself and streams with COPY: one line per change, the change as a JSON object (`ndjson`: the
   * fields of AuditChange) or a JSON array of the CSV columns as strings (`csv-cells`, CSV_COLUMNS order). No row
   * objects are built in Node, so memory stays flat whatever the page size.
   */
  async *copyLines(
    filters: TimelineFilters,
    limit: number,
    shape: 'ndjson' | 'csv-cells',
    after?: { capturedAt: string; id: string },
  ): AsyncGenerator<string> {
    const normalized = normalizeFilters(filters);
    // COPY takes no bind parameters: values go in as literals (E'' form, backslash-safe whatever standard_conforming_strings says)
    const columns = shape === 'ndjson' ? `row_to_json(r)::text` : this.query.csvCells();
    const storage = await this.storage.of();
    const sql = this.query.select(columns, normalized, limit, SqlParams.inline(), { after, storage });
    yield* copyText(this.dataSource, sql);
  }
}

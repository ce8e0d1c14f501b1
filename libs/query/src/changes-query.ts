import { AuditTables, SqlParams } from '@threadline/core';
import { actionSelectSql } from './audit-action';
import { AUDIT_CHANGE_FIELDS, AuditField, csvColumns, transactionJsonSql, valueSql } from './audit-row';
import { NormalizedFilters } from './timeline-filters';

/**
 * How the audit tables are stored, for the partition pruning `select` adds: `partitioned` on partitioned storage
 * (schema v12, `capture.partitioning`), and `upTo`, upper bounds on `captured_at` a caller's own conditions set
 * (an as-of time).
 */
export interface AuditStorageShape {
  partitioned: boolean;
  upTo?: string[];
}

/** What a `select` reads besides its filters. */
export interface SelectHow {
  /** The keyset position to read on from. */
  after?: { capturedAt: string; id: string };
  /** More conditions on `c` and `t`. */
  extra?: string[];
  /** 'newer': the changes just newer than `after`, oldest first (a previous page, read backwards). */
  direction?: 'older' | 'newer';
  storage?: AuditStorageShape;
}

/** The SQL of change queries and exports over the audit tables: one definition of an AuditChange's fields. */
export class ChangesQuery {
  constructor(private readonly tables: AuditTables) {}

  /**
   * One SELECT over changes `c` joined to their transaction `t`. `params` turns
   * a value into a placeholder (queries) or a quoted literal (COPY). The
   * AuditChange fields are built in a LATERAL row `r`, so `r.*` and
   * `row_to_json(r)` share one definition while ORDER BY still walks the
   * captured_at index (PostgreSQL flattens it, computing only what is used).
   */
  select(columns: string, filters: NormalizedFilters, limit: number, params: SqlParams, how: SelectHow = {}): string {
    const { after, direction = 'older', storage = { partitioned: false } } = how;
    const extraSql = how.extra ?? [];
    const sql = [...extraSql, ...this.filterSql(filters, params)];
    if (after)
      sql.push(
        `(c.captured_at, c.id) ${direction === 'older' ? '<' : '>'} (${params.add(after.capturedAt)}::timestamptz, ${params.add(after.id)}::bigint)`,
      );
    if (storage.partitioned) {
      // A change is captured after its transaction began (captured_at >= transaction_occurred_at = occurred_at), so
      // an upper bound on captured_at bounds both partition keys: PostgreSQL skips the partitions that begin after it.
      const bounds = [filters.to, direction === 'older' ? after?.capturedAt : undefined, ...(storage.upTo ?? [])];
      for (const bound of bounds.filter((b): b is string => b !== undefined)) {
        const at = `${params.add(bound)}::timestamptz`;
        sql.push(`c.transaction_occurred_at <= ${at} AND t.occurred_at <= ${at}`);
      }
      const span = this.transactionsSpan(filters, params);
      if (span) sql.push(span);
    }
    return `SELECT ${columns}
       FROM ${this.tables.changes} AS c JOIN ${this.tables.transactions} AS t ON t.id = c.transaction_id
       CROSS JOIN LATERAL (SELECT ${CHANGE_SELECT}) AS r
       ${sql.length ? `WHERE ${sql.join(' AND ')}` : ''}
       ORDER BY ${filters.correlationId || filters.traceId ? `c.captured_at + interval '0'` : 'c.captured_at'} ${direction === 'older' ? 'DESC' : 'ASC'}, c.id ${direction === 'older' ? 'DESC' : 'ASC'}
       LIMIT ${limit}`;
  }

  /**
   * The conditions `filters` put on a change `c` and its transaction `t`, one per filter given: the timeline's,
   * an export's and a legal hold's (what retention keeps) are the same SQL.
   */
  filterSql(filters: NormalizedFilters, params: SqlParams): string[] {
    const sql: string[] = [];
    if (filters.table)
      sql.push(
        `c.table_schema = ${params.add(filters.table.schema)} AND c.table_name = ${params.add(filters.table.table)}`,
      );
    if (filters.actor) sql.push(`t.actor_ref = ${params.add(filters.actor.serialize())}::jsonb`);
    if (filters.from) sql.push(`c.captured_at >= ${params.add(filters.from)}::timestamptz`);
    if (filters.to) sql.push(`c.captured_at <= ${params.add(filters.to)}::timestamptz`);
    if (filters.correlationId) {
      // The transactions carrying the id, or recording an action that does (any of its actions, not only the one
      // action_id names), computed first as an array: the
      // planner then drives the transaction_id index from that small set whatever the statistics say (as a
      // plain IN (...) it seq-scanned all changes when audit_actions was empty). The ORDER BY below sorts on
      // an expression for this filter, so it cannot walk the captured_at index hoping to meet matches early.
      const id = params.add(filters.correlationId);
      sql.push(`c.transaction_id = ANY (ARRAY(SELECT t2.id FROM ${this.tables.transactions} AS t2 WHERE t2.correlation_id = ${id}
        UNION SELECT a.transaction_id FROM ${this.tables.actions} AS a WHERE a.correlation_id = ${id} AND a.transaction_id IS NOT NULL
        UNION SELECT t3.id FROM ${this.tables.transactions} AS t3 JOIN ${this.tables.actions} AS a ON a.id = t3.action_id WHERE a.correlation_id = ${id}))`);
    }
    // ops come from a fixed list (CHANGE_OPS): an array literal, so COPY's inlined form takes it too
    if (filters.ops) sql.push(`c.op = ANY (${params.add(`{${filters.ops.join(',')}}`)}::text[])`);
    if (filters.key) {
      const key = params.add(filters.key);
      sql.push(`(c.table_pk = ${key}::jsonb OR c.previous_pk = ${key}::jsonb)`);
    }
    if (filters.transactionId) sql.push(`c.transaction_id = ${params.add(filters.transactionId)}::uuid`);
    // A transaction's trace context is its meta (schema v9), found through audit_transactions_trace_idx and, like
    // the correlation id's, computed first as an array of the (few) transactions, sorted on an expression below.
    if (filters.traceId)
      sql.push(`c.transaction_id = ANY (ARRAY(SELECT t4.id FROM ${this.tables.transactions} AS t4
        WHERE t4.meta IS NOT NULL AND t4.meta->>'trace_id' = ${params.add(filters.traceId)}))`);
    return sql;
  }

  /**
   * On partitioned storage, for a filter that names transactions (a correlation or trace id, a transaction id): the
   * span of their start times, which holds the partition key of each of their changes, so PostgreSQL reads only the
   * partitions it covers. The times are computed once, before the scan (PostgreSQL prunes at run time on them).
   * Not part of filterSql: what a legal hold keeps never depends on the partition key.
   */
  private transactionsSpan(filters: NormalizedFilters, params: SqlParams): string | undefined {
    const tx = this.tables.transactions;
    let times: string | undefined;
    if (filters.transactionId)
      times = `SELECT s.occurred_at FROM ${tx} AS s WHERE s.id = ${params.add(filters.transactionId)}::uuid`;
    else if (filters.correlationId) {
      const id = params.add(filters.correlationId);
      // the three ways filterSql finds the transactions, each through its own index (an OR of them scans every row)
      times = `SELECT s.occurred_at FROM ${tx} AS s WHERE s.correlation_id = ${id}
        UNION ALL SELECT s.occurred_at FROM ${tx} AS s
          WHERE s.id IN (SELECT a.transaction_id FROM ${this.tables.actions} AS a WHERE a.correlation_id = ${id} AND a.transaction_id IS NOT NULL)
        UNION ALL SELECT s.occurred_at FROM ${tx} AS s JOIN ${this.tables.actions} AS a ON a.id = s.action_id WHERE a.correlation_id = ${id}`;
    } else if (filters.traceId)
      times = `SELECT s.occurred_at FROM ${tx} AS s WHERE s.meta IS NOT NULL AND s.meta->>'trace_id' = ${params.add(filters.traceId)}`;
    if (!times) return undefined;
    return `c.transaction_occurred_at >= (SELECT min(w.occurred_at) FROM (${times}) AS w)
      AND c.transaction_occurred_at <= (SELECT max(w.occurred_at) FROM (${times}) AS w)`;
  }

  /** The CSV export's columns (CSV_COLUMNS' order), each as text ('' for none), in one JSON array per change. */
  csvCells(): string {
    return `json_build_array(${csvColumns(this.tables.actions)
      .map((c) => c.cell)
      .join(', ')})::text`;
  }

  /**
   * `select` (whose columns include `row` text, `at_` and `id_`, its order keys) cut to `maxBytes` of `row` text in
   * its order, the first row always kept: past the cut one more row comes back with a NULL `row`, so the reader
   * knows the page ends early. PostgreSQL measures each row, so Node never receives what it would not keep.
   */
  withinBytes(selectSql: string, maxBytes: number, direction: 'older' | 'newer'): string {
    const order = direction === 'older' ? 'DESC' : 'ASC';
    return `SELECT CASE WHEN w.upto <= ${maxBytes} OR w.n = 1 THEN w.row END AS row
       FROM (SELECT p.row, octet_length(p.row) AS len, sum(octet_length(p.row)) OVER o AS upto, row_number() OVER o AS n
             FROM (${selectSql}) AS p WINDOW o AS (ORDER BY p.at_ ${order}, p.id_ ${order} ROWS UNBOUNDED PRECEDING)) AS w
       WHERE w.upto - w.len <= ${maxBytes} OR w.n <= 2
       ORDER BY w.n`;
  }

  /**
   * For changes ($1 ids, $2 schemas, $3 tables, $4 keys before the change), in their order: the data_after of each
   * row's latest earlier change (unless a delete) as `image`, kept while the images so far fit $5 bytes (the first
   * always); `cut` marks each change whose image did not fit.
   */
  previousImages(): string {
    return `SELECT q.id::text AS id, CASE WHEN q.kept THEN q.img END AS image, NOT q.kept AS cut
       FROM (SELECT y.id, y.n, y.img, sum(octet_length(coalesce(y.img, ''))) OVER (ORDER BY y.n ROWS UNBOUNDED PRECEDING) <= $5
                    OR sum(octet_length(coalesce(y.img, ''))) OVER (ORDER BY y.n ROWS UNBOUNDED PRECEDING) = octet_length(coalesce(y.img, '')) AS kept
             FROM (SELECT x.id, x.n, p.data_after::text AS img
                   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS x(id, s, t, pk, n)
                   LEFT JOIN LATERAL (
                     SELECT c.data_after, c.op FROM ${this.tables.changes} AS c
                     WHERE c.table_schema = x.s AND c.table_name = x.t AND c.table_pk = x.pk AND c.id < x.id AND c.op <> 'truncate'
                     ORDER BY c.id DESC LIMIT 1
                   ) AS p ON p.op <> 'delete') AS y) AS q
       ORDER BY q.n`;
  }

  /**
   * The first $2 actions of each transaction with ids $1 (uuid[]), oldest first, as AuditAction with
   * `of_transaction` and `total` (how many it recorded): those that name the transaction, and the one its
   * `action_id` links (an action recorded before actions kept theirs).
   */
  actions(): string {
    // $1 transaction ids in the page's order, $2 actions per transaction, $3 a byte budget for all of them (an
    // action's JSON text, spent in the page's order, the first always shown): a transaction whose actions lie past
    // it comes back once with its total and no action.
    return `WITH ranked AS (
         SELECT p.pos, t.id::text AS of_transaction, x.*, row_number() OVER w AS n, count(*) OVER (PARTITION BY t.id) AS total
           FROM unnest($1::uuid[]) WITH ORDINALITY AS p(id, pos)
           JOIN ${this.tables.transactions} AS t ON t.id = p.id
           JOIN ${this.tables.actions} AS x ON x.transaction_id = t.id OR x.id = t.action_id
           WINDOW w AS (PARTITION BY t.id ORDER BY x.inserted_at, x.id)),
       s AS (SELECT r.*, sum(octet_length(row_to_json(r)::text)) OVER (ORDER BY r.pos, r.n ROWS UNBOUNDED PRECEDING) AS upto,
                    octet_length(row_to_json(r)::text) AS bytes
               FROM ranked AS r WHERE r.n <= $2)
       SELECT o.of_transaction, o.total, ${actionSelectSql('a')}
       FROM (SELECT DISTINCT s.pos, s.of_transaction, s.total FROM s) AS o
       LEFT JOIN s AS a ON a.of_transaction = o.of_transaction AND (a.upto <= $3 OR a.upto = a.bytes)
       ORDER BY o.pos, a.n`;
  }

  /** One actor's transactions ($1, its serialized actor_ref), newest first, each as AuditTransaction JSON `tx`. */
  actorTransactions(limit: number): string {
    return `SELECT (${transactionJsonSql('t')})::text AS tx FROM ${this.tables.transactions} AS t
       WHERE t.actor_ref = $1::jsonb ORDER BY t.occurred_at DESC, t.id DESC LIMIT ${limit}`;
  }
}

/** The AuditChange fields over `c` and `t`, as the LATERAL row `r` selects them. */
const CHANGE_SELECT = (AUDIT_CHANGE_FIELDS as readonly AuditField[])
  .map((f) => `${valueSql(f, 'c')} AS ${f.name}`)
  .join(', ');

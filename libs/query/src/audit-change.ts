/** The operations a change can record. */
export const CHANGE_OPS = ['insert', 'update', 'delete', 'truncate', 'snapshot'] as const;

/** One captured change as the API, exports and pages present it. */
export interface AuditChange {
  /** bigint, as a string. */
  id: string;
  transaction_id: string;
  table_schema: string;
  table_name: string;
  /**
   * `snapshot`: a row recorded as it was: one that existed before capture, by a baseline (its transaction's
   * source is 'threadline:baseline'), or every row after DDL rewrote a column's values (its transaction's
   * `meta.schemaRewrite` names the table). `truncate`: the table was truncated; `table_pk` is `{}` and `data_after` is
   * `{ rowCount }`, how many rows it held (and `partition`, the partition it emptied, when it was one).
   */
  op: (typeof CHANGE_OPS)[number];
  /** ISO 8601 UTC with microseconds. */
  captured_at: string;
  table_pk: Record<string, unknown>;
  previous_pk: Record<string, unknown> | null;
  data_after: Record<string, unknown> | null;
  changed_fields: string[] | null;
  changed_from: Record<string, unknown> | null;
  transaction: AuditTransaction;
}

export interface AuditTransaction {
  id: string;
  txid: string;
  occurred_at: string;
  actor_ref: { type: string; id?: string } | null;
  correlation_id: string | null;
  request_id: string | null;
  action_id: string | null;
  source: string | null;
  meta: unknown;
}

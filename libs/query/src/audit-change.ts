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

export interface ChangeDiff {
  schema_version: 1;
  id: string;
  op: AuditChange['op'];
  table: string;
  table_pk: Record<string, unknown>;
  previous_pk: Record<string, unknown> | null;
  /**
   * Per field, sorted by name: `after` for inserts and snapshots; `before` / `after` for updates (`before` from
   * `changed_from`, else from the row's previous captured image with `before_from_previous_image`, else
   * `before_omitted`); `before` for deletes when the previous image is given.
   */
  fields: Record<
    string,
    { before?: unknown; after?: unknown; before_omitted?: true; before_from_previous_image?: true }
  >;
}

/**
 * The reference's deterministic diff projection: inserts show every field's
 * `after`; updates show each changed field with `after` and `before` when
 * `changed_from` has it; otherwise, given the row's previous captured image
 * (`previous`, see AuditQueryService.previousImages), `before` comes from it
 * and `before_from_previous_image` says so; else `before_omitted`. Deletes
 * show the previous image's fields as `before` when given. A baseline
 * `snapshot` is shown like an insert: the row as first recorded. A
 * `truncate` has no fields (its `data_after` holds the count of rows removed).
 */
export function changeDiff(change: AuditChange, previous?: Record<string, unknown> | null): ChangeDiff {
  const fields: ChangeDiff['fields'] = {};
  const after = change.data_after ?? {};
  if (change.op === 'insert' || change.op === 'snapshot') {
    for (const key of Object.keys(after).sort()) fields[key] = { after: after[key] };
  } else if (change.op === 'update') {
    for (const key of [...(change.changed_fields ?? [])].sort()) {
      const before =
        change.changed_from && key in change.changed_from
          ? { before: change.changed_from[key] }
          : previous && key in previous
            ? { before: previous[key], before_from_previous_image: true as const }
            : { before_omitted: true as const };
      fields[key] = { ...before, after: after[key] };
    }
  } else if (change.op === 'delete' && previous) {
    for (const key of Object.keys(previous).sort())
      fields[key] = { before: previous[key], before_from_previous_image: true };
  }
  return {
    schema_version: 1,
    id: change.id,
    op: change.op,
    table: `${change.table_schema}.${change.table_name}`,
    table_pk: change.table_pk,
    previous_pk: change.previous_pk,
    fields,
  };
}

/** The "why" of a transaction: the action recorded with it (recordAction). */
export interface AuditAction {
  id: string;
  name: string;
  actor_ref: { type: string; id?: string };
  status: 'ok' | 'error';
  verb: string | null;
  category: string | null;
  reason: string | null;
  comment: string | null;
  correlation_id: string | null;
  inserted_at: string;
}

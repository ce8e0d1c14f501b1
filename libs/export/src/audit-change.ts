/** One captured change as the API, exports and pages present it. */
export interface AuditChange {
  /** bigint, as a string. */
  id: string;
  transaction_id: string;
  table_schema: string;
  table_name: string;
  /**
   * `snapshot`: a row that existed before capture, recorded by a baseline (its transaction's source is
   * 'threadline:baseline'). `truncate`: the table was truncated; `table_pk` is `{}` and `data_after` is
   * `{ rowCount }`, how many rows it held.
   */
  op: 'insert' | 'update' | 'delete' | 'snapshot' | 'truncate';
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
  /** Per field, sorted by name: `after` for inserts and snapshots; `before` / `after` for updates, `before_omitted` when `changed_from` was not stored. */
  fields: Record<string, { before?: unknown; after?: unknown; before_omitted?: true }>;
}

/**
 * The reference's deterministic diff projection: inserts show every field's
 * `after`; updates show each changed field with `after` and `before` when
 * `changed_from` has it (else `before_omitted`); deletes have no image. A
 * baseline `snapshot` is shown like an insert: the row as first recorded. A
 * `truncate` has no fields (its `data_after` holds the count of rows removed).
 */
export function changeDiff(change: AuditChange): ChangeDiff {
  const fields: ChangeDiff['fields'] = {};
  const after = change.data_after ?? {};
  if (change.op === 'insert' || change.op === 'snapshot') {
    for (const key of Object.keys(after).sort()) fields[key] = { after: after[key] };
  } else if (change.op === 'update') {
    for (const key of [...(change.changed_fields ?? [])].sort()) {
      const before =
        change.changed_from && key in change.changed_from
          ? { before: change.changed_from[key] }
          : { before_omitted: true as const };
      fields[key] = { ...before, after: after[key] };
    }
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

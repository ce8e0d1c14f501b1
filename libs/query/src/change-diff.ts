import { AuditChange, CHANGE_OPS } from './audit-change';
import { AuditField } from './audit-row';
import { Same } from './same';

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
  // no prototype: a column named __proto__ is a field like any other
  const fields: ChangeDiff['fields'] = Object.create(null);
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

/** Whether changeDiff reads the row's previous image for this change: a delete, or an update whose changed_from lacks a changed field. */
export function needsPreviousImage(c: AuditChange): boolean {
  // a row with no key (a table whose primary key was dropped) has no identity: another row's image is not its own
  if (Object.keys(c.previous_pk ?? c.table_pk ?? {}).length === 0) return false;
  if (c.op === 'delete') return true;
  return c.op === 'update' && !(c.changed_fields ?? []).every((k) => c.changed_from && k in c.changed_from);
}

const OBJECT = { type: 'object', additionalProperties: true } as const;

/** The fields of a ChangeDiff, with their OpenAPI schemas (the operator's ChangeDiffSchema is derived from them). */
export const CHANGE_DIFF_FIELDS = [
  { name: 'schema_version', openapi: { enum: [1], type: Number } },
  { name: 'id', openapi: {} },
  { name: 'op', openapi: { enum: CHANGE_OPS } },
  { name: 'table', openapi: { example: 'public.posts' } },
  { name: 'table_pk', openapi: OBJECT },
  { name: 'previous_pk', openapi: { ...OBJECT, nullable: true } },
  {
    name: 'fields',
    openapi: { ...OBJECT, description: 'per field: { before?, after?, before_omitted?, before_from_previous_image? }' },
  },
] as const satisfies readonly AuditField<keyof ChangeDiff>[];

const diffFieldsMatch: Same<(typeof CHANGE_DIFF_FIELDS)[number]['name'], keyof ChangeDiff> = true;
void diffFieldsMatch;

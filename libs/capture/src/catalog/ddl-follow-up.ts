import { SqlQueryable } from '@threadline/core';
import { ddlFollowUpTexts } from '../capture.messages';
import { ddlEventTriggerName } from '../schema/capture-functions.sql';

/**
 * Whether PostgreSQL regenerates capture when a migration changes an audited
 * table: `fires` (the DDL event trigger is there and enabled), `disabled` (an
 * operator disabled it, or enabled it for the replica role only), `missing`
 * (the install could not create it: it needs a superuser), or
 * `not-installed` (no audit schema yet).
 */
export type DdlFollowUp = 'fires' | 'disabled' | 'missing' | 'not-installed';

export async function readDdlFollowUp(db: SqlQueryable, auditSchema: string): Promise<DdlFollowUp> {
  const [row] = (await db.query(
    `SELECT to_regprocedure(format('%I.threadline_capture(regclass, text, jsonb)', $1::text)) IS NOT NULL AS installed,
            (SELECT evtenabled FROM pg_event_trigger WHERE evtname = $2) AS enabled`,
    [auditSchema, ddlEventTriggerName(auditSchema)],
  )) as { installed: boolean; enabled: string | null }[];
  if (!row?.installed) return 'not-installed';
  if (row.enabled === null) return 'missing';
  return row.enabled === 'O' || row.enabled === 'A' ? 'fires' : 'disabled';
}

/** What a team must know when schema changes are not followed by themselves; undefined when they are. */
export function ddlFollowUpWarning(state: DdlFollowUp, auditSchema: string): string | undefined {
  if (state !== 'missing' && state !== 'disabled') return undefined;
  return ddlFollowUpTexts[state](ddlEventTriggerName(auditSchema));
}

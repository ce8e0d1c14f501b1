import { cliCommand, SqlQueryable } from '@threadline/core';
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
  const name = ddlEventTriggerName(auditSchema);
  const why =
    state === 'missing'
      ? `the DDL event trigger ${name} does not exist (creating it needs a superuser, or your provider's equivalent such as rds_superuser; the install migration could not)`
      : state === 'disabled'
        ? `the DDL event trigger ${name} is disabled`
        : undefined;
  if (!why) return undefined;
  return (
    `threadline: ${why}. After a migration changes an audited table's columns, its capture keeps recording ` +
    `but masks every column it cannot classify, and health reports the table, until you run ${cliCommand('gen-triggers')} ` +
    'and apply the migration it writes (put it in the same release). To have PostgreSQL follow schema changes itself, ' +
    `run the install migration once as a superuser${state === 'disabled' ? ` or ALTER EVENT TRIGGER ${name} ENABLE ALWAYS` : ''}. See README "Schema changes".`
  );
}

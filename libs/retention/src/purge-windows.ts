import { AuditTables, isIsoTimestamp, isoTimestampHasZone, isoUtc, SqlParams } from '@threadline/core';
import { heldSql, HoldInForce } from './legal-holds';
import { QueryRunner } from 'typeorm';
import { InvalidCutoffError } from './retention.errors';
import { RetentionPolicy } from './retention.options';

/** One retention window: the global one (every table without its own) or a table's own. */
export interface WindowGroup {
  cutoff: string;
  /** The table of a per-table window; absent for the global window. */
  table?: { schema: string; table: string };
  /** For the global window: the tables that have a window of their own. */
  others: { schema: string; table: string }[];
}

/** `c` (an audit_changes row) belongs to the group and is older than its cutoff. */
export function eligible(group: WindowGroup, p: SqlParams): string {
  const inGroup = group.table
    ? `c.table_schema = ${p.add(group.table.schema)} AND c.table_name = ${p.add(group.table.table)}`
    : group.others.length
      ? `(c.table_schema, c.table_name) NOT IN (${group.others.map((t) => `(${p.add(t.schema)}, ${p.add(t.table)})`).join(', ')})`
      : 'true';
  return `(c.captured_at < ${p.add(group.cutoff)}::timestamptz AND ${inGroup})`;
}

/** Whether any change is eligible in the group and held by none of `holds`. */
export async function hasEligible(
  runner: QueryRunner,
  tables: AuditTables,
  group: WindowGroup,
  holds: HoldInForce[],
): Promise<boolean> {
  const p = SqlParams.bound();
  const rows = await runner.query(
    `SELECT 1 FROM ${tables.changes} AS c WHERE ${eligible(group, p)} AND NOT ${heldSql(holds, tables, p)} LIMIT 1`,
    p.values,
  );
  return rows.length > 0;
}

/**
 * The global window (tables without their own) and one group per table
 * window, each with its cutoff computed by the database clock. A given
 * cutoff may only make a group stricter.
 */
export async function windowGroups(
  runner: QueryRunner,
  policy: RetentionPolicy,
  cutoff?: Date | string,
): Promise<WindowGroup[]> {
  if (cutoff instanceof Date && Number.isNaN(cutoff.getTime())) throw InvalidCutoffError.notATimestamp(cutoff);
  const given = cutoff === undefined ? null : cutoff instanceof Date ? cutoff.toISOString() : cutoff;
  // Strict: JavaScript accepts 2026-02-30 or '1', which PostgreSQL then refuses or reads differently.
  if (given !== null && (typeof given !== 'string' || !isIsoTimestamp(given))) {
    throw InvalidCutoffError.notATimestamp(cutoff);
  }
  // a time without its zone would be read in the session's TimeZone, which the database's settings choose
  if (given !== null && !isoTimestampHasZone(given)) throw InvalidCutoffError.zoneless(given);
  const windows = [policy.windowSeconds, ...policy.tables.map((t) => t.windowSeconds)];
  const rows: { policy_cutoff: string; too_new: boolean; effective: string }[] = await runner.query(
    // as ISO text in UTC: text in the session's DateStyle may name a zone abbreviation that reads back as another
    // offset ('IST' written for Asia/Kolkata, read as Israel's), moving the cutoff when a statement casts it back
    `SELECT ${isoUtc("(now() - w * interval '1 second')")} AS policy_cutoff,
            $2::timestamptz > now() - w * interval '1 second' AS too_new,
            ${isoUtc("least(coalesce($2::timestamptz, 'infinity'), now() - w * interval '1 second')")} AS effective
     FROM unnest($1::bigint[]) WITH ORDINALITY AS x(w, ord) ORDER BY ord`,
    [windows, given],
  );
  if (given !== null && rows[0].too_new) {
    throw InvalidCutoffError.tooNew(given, rows[0].policy_cutoff);
  }
  const listed = policy.tables.map(({ schema, table }) => ({ schema, table }));
  return [
    { cutoff: rows[0].effective, others: listed },
    ...listed.map((table, i) => ({ cutoff: rows[i + 1].effective, table, others: [] })),
  ];
}

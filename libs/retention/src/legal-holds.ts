import { LEGAL_HOLDS_TABLE } from '@threadline/capture';
import { AuditTables, isoTimestampHasZone, SqlParams } from '@threadline/core';
import {
  ChangesQuery,
  describeFilters,
  filtersFromParams,
  NormalizedFilters,
  normalizeFilters,
  TIMELINE_FILTERS,
} from '@threadline/query';
import { isDeepStrictEqual } from 'node:util';
import { QueryRunner } from 'typeorm';
import { LegalHoldUnreadableError } from './retention.errors';
import { HoldKept } from './legal-hold.types';
import {
  HOLD_NO_FILTER,
  HOLD_NOT_AN_OBJECT,
  holdFilterNotStored,
  holdNotAsWritten,
  holdTimeWithoutZone,
} from './retention.messages';

const PARAMS: string[] = TIMELINE_FILTERS.map((f) => f.param);

/** A hold in force with its filters read back through the timeline's validation. */
export interface HoldInForce extends HoldKept {
  normalized: NormalizedFilters;
}

/**
 * The holds in force, oldest first. With `lock` (inside a purge batch's transaction) the holds table is locked in
 * SHARE mode first: a hold being added or released waits for the batch, and every hold committed before it is
 * read. A stored hold the timeline's filters no longer read is an error: the purge stops rather than guess what
 * it covers. Schemas before v11 have no holds table: none is in force.
 */
export async function holdsInForce(runner: QueryRunner, tables: AuditTables, lock = false): Promise<HoldInForce[]> {
  const table = tables.named(LEGAL_HOLDS_TABLE);
  const [{ exists }] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table]);
  if (!exists) return [];
  if (lock) await runner.query(`LOCK TABLE ${table} IN SHARE MODE`);
  const rows: { id: string; filters: unknown; reason: string; held_by: string }[] = await runner.query(
    `SELECT id::text AS id, filters, reason, held_by FROM ${table} WHERE released_at IS NULL ORDER BY id`,
  );
  return rows.map((row) => {
    if (row.filters === null || typeof row.filters !== 'object' || Array.isArray(row.filters))
      throw LegalHoldUnreadableError.create(row.id, HOLD_NOT_AN_OBJECT);
    // as `retention hold` stores them: known names, text values, times with their zone; anything else is a
    // hand edit whose meaning is a guess
    const stored = Object.entries(row.filters as Record<string, unknown>);
    const odd = stored.find(([k, v]) => !PARAMS.includes(k) || typeof v !== 'string');
    if (odd) throw LegalHoldUnreadableError.create(row.id, holdFilterNotStored(odd[0], PARAMS));
    const zoneless = stored.find(([k, v]) => (k === 'from' || k === 'to') && !isoTimestampHasZone(v as string));
    if (zoneless) throw LegalHoldUnreadableError.create(row.id, holdTimeWithoutZone(zoneless[0]));
    let normalized: NormalizedFilters;
    try {
      normalized = normalizeFilters(filtersFromParams(row.filters as Record<string, unknown>));
    } catch (error) {
      throw LegalHoldUnreadableError.create(row.id, (error as Error).message);
    }
    if (!Object.keys(normalized).length) throw LegalHoldUnreadableError.create(row.id, HOLD_NO_FILTER);
    // and exactly in the form `retention hold` writes (trimmed, each op once, the key canonical)
    if (!isDeepStrictEqual(describeFilters(normalized), row.filters))
      throw LegalHoldUnreadableError.create(row.id, holdNotAsWritten(describeFilters(normalized)));
    return { id: row.id, reason: row.reason, heldBy: row.held_by, normalized };
  });
}

/**
 * Whether a change `c` is covered by any of `holds` (SQL, `false` for none): the timeline's own filter SQL, over
 * `c` and its transaction `t` (a change with no transaction row matches only filters on the change itself).
 */
export function heldSql(holds: HoldInForce[], tables: AuditTables, p: SqlParams): string {
  if (!holds.length) return 'false';
  const query = new ChangesQuery(tables);
  const any = holds.map((h) => `(${query.filterSql(h.normalized, p).join(' AND ')})`).join(' OR ');
  return `EXISTS (SELECT 1 FROM (SELECT) AS one LEFT JOIN ${tables.transactions} AS t ON t.id = c.transaction_id WHERE ${any})`;
}

/** The holds a run applied (by id), oldest first, as its summary names them. */
export function holdsKept(applied: Map<string, HoldInForce>): HoldKept[] {
  return [...applied.values()]
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map(({ id, reason, heldBy }) => ({ id, reason, heldBy }));
}

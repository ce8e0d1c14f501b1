import { Injectable, Optional } from '@nestjs/common';
import { LEGAL_HOLDS_TABLE } from '@threadline/capture';
import { AuditTables, isInsufficientPrivilege, isoTimestampHasZone, isoUtc, SqlParams } from '@threadline/core';
import {
  ChangesQuery,
  describeFilters,
  filtersFromParams,
  normalizeFilters,
  TIMELINE_FILTERS,
} from '@threadline/query';
import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import { LegalHold, LegalHoldRelease, LegalHoldRequest } from './legal-hold.types';
import { InvalidLegalHoldError, LegalHoldPrivilegeError, LegalHoldSchemaError } from './retention.errors';

/** PostgreSQL's undefined_table. */
const UNDEFINED_TABLE = '42P01';

/** The longest `reason` a hold or its release takes, and the longest `heldBy` / `releasedBy` (characters). */
export const HOLD_REASON_MAX_LENGTH = 10_000;
export const HOLD_BY_MAX_LENGTH = 200;
/** `covers` counts at most this many changes. */
export const COVERS_CAP = 100_000;

/** A hold's columns, its times as ISO text with microseconds (as stored, not rounded by a JavaScript Date). */
const COLUMNS = `id::text AS id, filters, reason, held_by, held_by_role, ${isoUtc('held_at')} AS held_at,
  ${isoUtc('released_at')} AS released_at, released_by, released_by_role, release_reason`;

/**
 * Legal holds: changes no retention purge deletes while a hold covering them is in force. A hold names what it
 * covers with the timeline's filters; it is never deleted, a release ends it and keeps who, when and why. Setting
 * and releasing need the audit tables' owner (as purging does); the app's role may list them.
 */
@Injectable()
export class LegalHoldService {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.table = tables.named(LEGAL_HOLDS_TABLE);
  }

  /** Sets a hold; once this returns, no purge batch deletes a change it covers. */
  async hold(request: LegalHoldRequest): Promise<LegalHold> {
    const normalized = normalizeFilters(request?.filters);
    if (!Object.keys(normalized).length) throw InvalidLegalHoldError.noFilter();
    const filters = describeFilters(normalized);
    // a time without a zone would be read in each purge's session time zone: what the hold covers would move
    for (const bound of ['from', 'to'] as const)
      if (filters[bound] !== undefined && !isoTimestampHasZone(filters[bound]))
        throw InvalidLegalHoldError.zoneless(bound, filters[bound]);
    // what is stored is read back through the same filters by every purge: it must mean the same then
    if (!isDeepStrictEqual(normalizeFilters(filtersFromParams(filters)), normalized))
      throw InvalidLegalHoldError.notStorable(filters);
    const reason = text('reason', request.reason, HOLD_REASON_MAX_LENGTH);
    const heldBy = text('heldBy', request.heldBy, HOLD_BY_MAX_LENGTH);
    const [row] = await this.write(
      `INSERT INTO ${this.table} (filters, reason, held_by) VALUES ($1::jsonb, $2, $3) RETURNING ${COLUMNS}`,
      [JSON.stringify(filters), reason, heldBy],
    );
    return toHold(row);
  }

  /** Ends hold `id` (still in force), keeping its record; changes it alone covered are purged by the next run. */
  async release(id: string, release: LegalHoldRelease): Promise<LegalHold> {
    if (typeof id !== 'string' || !/^[1-9][0-9]{0,17}$/.test(id)) throw InvalidLegalHoldError.id(id);
    const reason = text('reason', release?.reason, HOLD_REASON_MAX_LENGTH);
    const releasedBy = text('releasedBy', release?.releasedBy, HOLD_BY_MAX_LENGTH);
    const rows = await this.write(
      `UPDATE ${this.table} SET released_at = now(), released_by = $2, released_by_role = session_user, release_reason = $3
       WHERE id = $1::bigint AND released_at IS NULL RETURNING ${COLUMNS}`,
      [id, releasedBy, reason],
    );
    if (rows.length) return toHold(rows[0]);
    const [existing] = await this.dataSource.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1::bigint`, [id]);
    if (!existing) throw InvalidLegalHoldError.notFound(id);
    throw InvalidLegalHoldError.alreadyReleased(toHold(existing));
  }

  /**
   * How many changes captured so far the filters select, counted up to `cap` (a hold covers the changes captured
   * later too): 0 says a hold names nothing yet, which is usually a typo.
   */
  async covers(filters: Record<string, string>, cap = COVERS_CAP): Promise<number> {
    const p = SqlParams.bound();
    const where = new ChangesQuery(this.tables).filterSql(normalizeFilters(filtersFromParams(filters)), p);
    if (!where.length) throw InvalidLegalHoldError.noFilter();
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${this.tables.changes} AS c
         LEFT JOIN ${this.tables.transactions} AS t ON t.id = c.transaction_id WHERE ${where.join(' AND ')} LIMIT ${cap}) AS x`,
      p.values,
    );
    return n;
  }

  /** The holds in force, oldest first; with `all`, released ones too. */
  async list(options: { all?: boolean } = {}): Promise<LegalHold[]> {
    const [{ exists }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [this.table]);
    if (!exists) return [];
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${this.table} ${options.all ? '' : 'WHERE released_at IS NULL'} ORDER BY id`,
    );
    return rows.map(toHold);
  }

  private async write(sql: string, params: unknown[]): Promise<HoldRow[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      // structured: TypeORM returns an UPDATE's rows as [rows, count] otherwise
      const { records } = (await runner.query(sql, params, true)) as { records: HoldRow[] };
      return records;
    } catch (error) {
      if (isInsufficientPrivilege(error)) throw LegalHoldPrivilegeError.create(this.table, error);
      if ((error as { code?: string }).code === UNDEFINED_TABLE) throw LegalHoldSchemaError.create(this.table);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

interface HoldRow {
  id: string;
  filters: Record<string, string>;
  reason: string;
  held_by: string;
  held_by_role: string;
  held_at: string;
  released_at: string | null;
  released_by: string | null;
  released_by_role: string | null;
  release_reason: string | null;
}

function toHold(row: HoldRow): LegalHold {
  const hold: LegalHold = {
    id: row.id,
    filters: inFilterOrder(row.filters),
    reason: row.reason,
    heldBy: row.held_by,
    heldByRole: row.held_by_role,
    heldAt: row.held_at,
  };
  if (row.released_at)
    hold.released = {
      at: row.released_at,
      by: row.released_by ?? '',
      role: row.released_by_role ?? '',
      reason: row.release_reason ?? '',
    };
  return hold;
}

/** The filters as stored (jsonb orders keys its own way), in the timeline's order: what every listing shows. */
function inFilterOrder(filters: Record<string, string>): Record<string, string> {
  const rank = (k: string) => {
    const i = TIMELINE_FILTERS.findIndex((f) => f.param === k);
    return i < 0 ? TIMELINE_FILTERS.length : i;
  };
  return Object.fromEntries(Object.entries(filters).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)));
}

/** Control characters (C0, DEL, C1): a listing printed on a terminal must show what was stored, nothing else. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function text(name: string, value: unknown, max: number): string {
  if (value === undefined || value === null) throw InvalidLegalHoldError.required(name);
  if (typeof value !== 'string' || !value.trim() || CONTROL.test(value) || value.length > max)
    throw InvalidLegalHoldError.text(name, value, max);
  return value;
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { parseTableName, ResolvedCaptureOptions, THREADLINE_CAPTURE_OPTIONS } from '@threadline/capture';
import { AuditTables, qualified } from '@threadline/core';
import { DataSource } from 'typeorm';
import { CoverageService } from './coverage.service';
import { tableKey } from './health.options';
import { noTriggers, notATableInDatabase } from './health.messages';

export interface TableContinuity {
  table: string;
  exists: boolean;
  covered: boolean;
  /** Rows in the table now (PostgreSQL's estimate for large tables). */
  rows: number;
  /** Distinct rows with at least one captured change. */
  rowsWithHistory: number;
  /** When the first change of this table was captured (the cutover, "T0"), or null if none yet. */
  firstCapturedAt: string | null;
  /** Why this table fails the check, if it does. */
  problem?: string;
}

/**
 * Brownfield continuity: rows that existed before capture have no history
 * until their first audited write. This says, per table, whether capture is
 * in place and how many rows still have no history.
 */
@Injectable()
export class ContinuityService {
  private readonly changes: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly coverage: CoverageService,
    @Optional() @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly capture?: ResolvedCaptureOptions,
    @Optional() tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.changes = tables.changes;
  }

  async check(tables?: string[]): Promise<TableContinuity[]> {
    const names = tables?.length
      ? tables.map(parseTableName)
      : (this.capture?.tables ?? []).map((t) => ({ schema: t.schema, table: t.table }));
    const coverage = new Map((await this.coverage.triggerCoverage()).map((t) => [tableKey(t), t]));
    const result: TableContinuity[] = [];
    for (const name of names) {
      const key = tableKey(name);
      const [exists] = await this.dataSource.query(
        `SELECT c.reltuples::bigint AS estimate FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
        [name.schema, name.table],
      );
      if (!exists) {
        result.push({
          table: key,
          exists: false,
          covered: false,
          rows: 0,
          rowsWithHistory: 0,
          firstCapturedAt: null,
          problem: notATableInDatabase(key),
        });
        continue;
      }
      const estimate = Number(exists.estimate);
      const rows =
        estimate >= 0 && estimate > 100_000
          ? estimate
          : Number(
              (await this.dataSource.query(`SELECT count(*) AS n FROM ${qualified(name.schema, name.table)}`))[0].n,
            );
      const [history] = await this.dataSource.query(
        `SELECT count(DISTINCT table_pk)::bigint AS rows, min(captured_at) AS first FROM ${this.changes} WHERE table_schema = $1 AND table_name = $2`,
        [name.schema, name.table],
      );
      const covered = coverage.get(key)?.covered ?? false;
      result.push({
        table: key,
        exists: true,
        covered,
        rows,
        rowsWithHistory: Number(history.rows),
        firstCapturedAt: history.first ? new Date(history.first).toISOString() : null,
        ...(!covered && {
          problem: noTriggers(key, coverage.get(key)?.missingTriggers),
        }),
      });
    }
    return result;
  }
}

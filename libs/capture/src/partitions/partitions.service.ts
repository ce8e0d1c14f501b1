import { Inject, Injectable } from '@nestjs/common';
import { AuditTables, isInsufficientPrivilege, isoUtc } from '@threadline/core';
import { DataSource } from 'typeorm';
import { THREADLINE_CAPTURE_OPTIONS } from '../capture.constants';
import { ResolvedCaptureOptions } from '../capture.options';
import { PartitionPrivilegeError } from '../capture.errors';
import { partitionProblems } from '../capture.messages';
import {
  PARTITION_UPGRADE_TABLE,
  PARTITIONING_TABLE,
  PARTITIONS_FUNCTION,
  PARTITIONS_MAINTAIN_FUNCTION,
} from '../schema/audit-schema.sql';
import { PartitionInterval } from './partitioning.options';
import { PartitionedTableStatus, PartitionMaintenanceResult, PartitionStatus } from './partitions.types';

/** Health is red below this many intervals ahead (maintenance keeps `ahead`, at least 3). */
export const MIN_INTERVALS_AHEAD = 2;
/** Rows of a default partition counted at most (a status read must stay cheap). */
export const DEFAULT_ROWS_COUNTED = 10000;

interface PartitionRow {
  table_name: 'audit_transactions' | 'audit_changes';
  from_at: string | null;
  to_at: string | null;
  is_default: boolean;
  default_rows: number | null;
}

/**
 * Partitioned storage (`capture.partitioning`, schema v12): what partitions exist and whether they are far
 * enough ahead, and maintenance, which creates the partitions of now and the intervals ahead and empties the
 * default partitions (threadline_partitions_maintain, with the owner's rights).
 */
@Injectable()
export class PartitionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: AuditTables,
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly options: ResolvedCaptureOptions,
  ) {}

  /**
   * Runs maintenance now; refused with what to grant when the role may not. It runs at READ COMMITTED (the SQL
   * refuses another level: its move must see rows committed while it waited for locks) and without the session's
   * statement_timeout, which would otherwise stop every run once the default partition holds many rows.
   */
  async maintain(): Promise<PartitionMaintenanceResult> {
    const runner = this.dataSource.createQueryRunner();
    let created: number;
    try {
      await runner.connect();
      await runner.startTransaction('READ COMMITTED');
      await runner.query(`SET LOCAL statement_timeout = 0`);
      const [row] = await runner.query(`SELECT ${this.tables.named(PARTITIONS_MAINTAIN_FUNCTION)}() AS created`);
      await runner.commitTransaction();
      created = Number(row.created);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (isInsufficientPrivilege(error))
        throw PartitionPrivilegeError.create(this.tables.named(PARTITIONS_MAINTAIN_FUNCTION), error);
      throw error;
    } finally {
      await runner.release();
    }
    // read once the run has committed: a failure reading the status is not a failed maintenance
    return { created, status: await this.status() };
  }

  /** The partitions of both tables at the database's current time, and what puts them at risk. */
  async status(): Promise<PartitionStatus> {
    // the catalog says whether audit_changes is partitioned (no grant needed): an unpartitioned v12 schema is not
    // asked threadline_partitions(), which a role granted as before v12 may not run
    const [config] = await this.dataSource.query(
      `SELECT ${isoUtc('now()')} AS at, to_regclass($1) IS NOT NULL
              AND (coalesce(${this.tables.partitionedSql()}, false) OR $2::boolean) AS installed,
              to_regclass($3) IS NOT NULL AS upgrading`,
      [
        this.tables.named(PARTITIONING_TABLE),
        Boolean(this.options.partitioning),
        this.tables.named(PARTITION_UPGRADE_TABLE),
      ],
    );
    const at: string = config.at;
    const stored: { period: PartitionInterval; ahead: number }[] = config.installed
      ? await this.dataSource.query(`SELECT period, ahead FROM ${this.tables.named(PARTITIONING_TABLE)}`)
      : [];
    const rows: PartitionRow[] = config.installed
      ? await this.dataSource.query(
          `SELECT table_name, ${isoUtc('from_at')} AS from_at, ${isoUtc('to_at')} AS to_at, is_default, default_rows::int AS default_rows
           FROM ${this.tables.named(PARTITIONS_FUNCTION)}()`,
        )
      : [];
    const partitioned = rows.length > 0;
    const tables = partitioned
      ? (['audit_transactions', 'audit_changes'] as const).map((table) =>
          tableStatus(table, rows, at, stored[0]?.period ?? null),
        )
      : [];
    const status = {
      partitioned,
      upgradeUnderWay: Boolean(config.upgrading),
      interval: stored[0]?.period ?? null,
      ahead: stored[0]?.ahead ?? null,
      at,
      tables,
    };
    return { ...status, problems: partitionProblems(status, Boolean(this.options.partitioning), MIN_INTERVALS_AHEAD) };
  }
}

/** The shortest partition that counts as a whole interval (a month may have 28 days). */
const WHOLE_INTERVAL_MS: Record<PartitionInterval, number> = { day: 864e5, week: 7 * 864e5, month: 28 * 864e5 };

/**
 * One table's partitions at `at`: how many, whether one holds `at`, and how far partitions follow it without a
 * gap (only partitions of a whole interval count as intervals ahead: a sliver made by hand does not).
 */
function tableStatus(
  table: PartitionedTableStatus['table'],
  rows: PartitionRow[],
  at: string,
  interval: PartitionInterval | null,
): PartitionedTableStatus {
  const ranges = rows.filter((r) => r.table_name === table && !r.is_default && r.from_at && r.to_at);
  const current = ranges.find((r) => r.from_at! <= at && at < r.to_at!);
  const whole = (r: PartitionRow) =>
    Date.parse(r.to_at!) - Date.parse(r.from_at!) >= WHOLE_INTERVAL_MS[interval ?? 'day'];
  let intervalsAhead = 0;
  let coveredUntil = current?.to_at ?? null;
  for (let next = ranges.find((r) => r.from_at === coveredUntil); current && next;) {
    if (whole(next)) intervalsAhead++;
    coveredUntil = next.to_at;
    next = ranges.find((r) => r.from_at === coveredUntil);
  }
  const fallback = rows.find((r) => r.table_name === table && r.is_default);
  const defaultRows = fallback?.default_rows ?? 0;
  return {
    table,
    partitions: ranges.length,
    coversNow: Boolean(current),
    intervalsAhead,
    coveredUntil,
    hasDefault: Boolean(fallback),
    defaultRows,
    defaultRowsCapped: defaultRows >= DEFAULT_ROWS_COUNTED,
  };
}

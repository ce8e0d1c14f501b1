import { Inject, Injectable } from '@nestjs/common';
import { AuditTables, isInsufficientPrivilege, isoUtc } from '@threadline/core';
import { DataSource } from 'typeorm';
import { THREADLINE_CAPTURE_OPTIONS } from '../capture.constants';
import { ResolvedCaptureOptions } from '../capture.options';
import { PartitionPrivilegeError } from '../capture.errors';
import { partitionProblems } from '../capture.messages';
import { PARTITIONING_TABLE, PARTITIONS_FUNCTION, PARTITIONS_MAINTAIN_FUNCTION } from '../schema/audit-schema.sql';
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

  /** Runs maintenance now; refused with what to grant when the role may not. */
  async maintain(): Promise<PartitionMaintenanceResult> {
    try {
      const [{ created }] = await this.dataSource.query(
        `SELECT ${this.tables.named(PARTITIONS_MAINTAIN_FUNCTION)}() AS created`,
      );
      return { created: Number(created), status: await this.status() };
    } catch (error) {
      if (isInsufficientPrivilege(error))
        throw PartitionPrivilegeError.create(this.tables.named(PARTITIONS_MAINTAIN_FUNCTION), error);
      throw error;
    }
  }

  /** The partitions of both tables at the database's current time, and what puts them at risk. */
  async status(): Promise<PartitionStatus> {
    const [config] = await this.dataSource.query(
      `SELECT ${isoUtc('now()')} AS at, to_regclass($1) IS NOT NULL AS installed`,
      [this.tables.named(PARTITIONING_TABLE)],
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
      ? (['audit_transactions', 'audit_changes'] as const).map((table) => tableStatus(table, rows, at))
      : [];
    const status = { partitioned, interval: stored[0]?.period ?? null, ahead: stored[0]?.ahead ?? null, at, tables };
    return { ...status, problems: partitionProblems(status, Boolean(this.options.partitioning), MIN_INTERVALS_AHEAD) };
  }
}

/** One table's partitions at `at`: how many, whether one holds `at`, how many follow it without a gap. */
function tableStatus(table: PartitionedTableStatus['table'], rows: PartitionRow[], at: string): PartitionedTableStatus {
  const ranges = rows.filter((r) => r.table_name === table && !r.is_default && r.from_at && r.to_at);
  const current = ranges.find((r) => r.from_at! <= at && at < r.to_at!);
  let intervalsAhead = 0;
  for (let next = ranges.find((r) => r.from_at === current?.to_at); current && next; intervalsAhead++) {
    const end = next.to_at;
    next = ranges.find((r) => r.from_at === end);
  }
  return {
    table,
    partitions: ranges.length,
    coversNow: Boolean(current),
    intervalsAhead,
    coveredUntil:
      ranges
        .map((r) => r.to_at!)
        .sort()
        .at(-1) ?? null,
    defaultRows: rows.find((r) => r.table_name === table && r.is_default)?.default_rows ?? 0,
  };
}

import { PartitionInterval } from './partitioning.options';

/** One partitioned audit table as partition maintenance sees it. */
export interface PartitionedTableStatus {
  table: 'audit_transactions' | 'audit_changes';
  /** Range partitions (the default partition not counted). */
  partitions: number;
  /** Whether a range partition holds the database's current time. */
  coversNow: boolean;
  /** Range partitions that follow the current one without a gap. */
  intervalsAhead: number;
  /** Where the last range partition ends (ISO, UTC); null: none. */
  coveredUntil: string | null;
  /** Rows in the default partition, counted up to DEFAULT_ROWS_COUNTED (writes no range partition took). */
  defaultRows: number;
}

/** What `partitions` prints and health reads. */
export interface PartitionStatus {
  /** Whether the audit tables are partitioned (installed with capture.partitioning). */
  partitioned: boolean;
  /** The interval and intervals ahead the install recorded; null when not partitioned. */
  interval: PartitionInterval | null;
  ahead: number | null;
  /** The database's time the status was read at (ISO, UTC). */
  at: string;
  tables: PartitionedTableStatus[];
  /** Why partitioned storage is at risk, each saying what to do; empty when it is not. */
  problems: string[];
}

/** What one maintenance run did. */
export interface PartitionMaintenanceResult {
  created: number;
  status: PartitionStatus;
}

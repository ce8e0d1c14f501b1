import { PartitionInterval } from './partitioning.options';

/** One partitioned audit table as partition maintenance sees it. */
export interface PartitionedTableStatus {
  table: 'audit_transactions' | 'audit_changes';
  /** Range partitions (the default partition not counted). */
  partitions: number;
  /** Whether a range partition holds the database's current time. */
  coversNow: boolean;
  /** Range partitions of a whole interval or more that follow the current one without a gap. */
  intervalsAhead: number;
  /** Where the partitions that follow the current one without a gap end (ISO, UTC); null: none holds now. */
  coveredUntil: string | null;
  /** Whether the table has its default partition (without it a write past the last partition fails). */
  hasDefault: boolean;
  /** Rows in the default partition, counted up to DEFAULT_ROWS_COUNTED (writes no range partition took). */
  defaultRows: number;
  /** Whether the count stopped at DEFAULT_ROWS_COUNTED (there may be more). */
  defaultRowsCapped: boolean;
}

/** What `partitions` prints and health reads. */
export interface PartitionStatus {
  /** Whether the audit tables are partitioned (installed with capture.partitioning). */
  partitioned: boolean;
  /** Whether a `partitions upgrade` has started and not finished (its copies exist beside the tables). */
  upgradeUnderWay: boolean;
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

/** What one `partitions upgrade` run did. */
export interface PartitionUpgradeResult {
  /** finished: the log is partitioned now; stopped: --max-batches ended the run before the copy was done. */
  outcome: 'finished' | 'stopped' | 'partitioned-already' | 'aborted' | 'nothing-to-abort';
  interval: PartitionInterval | null;
  ahead: number | null;
  /** Whether this run went on with an upgrade an earlier run started. */
  resumed: boolean;
  /** Copy batches this run, each one transaction. */
  batches: number;
  /** Rows this run's batches copied (rows the triggers copied as the app wrote them are not counted). */
  copied: { transactions: number; changes: number };
  /** Rows the partitioned tables hold once finished (counted in one snapshot against the old tables). */
  transactions: number | null;
  changes: number | null;
  /** The statement that drops the old tables, to run once verification passes. */
  dropWhenVerified: string | null;
}

import type { HoldKept } from './legal-hold.types';

export interface PurgeOptions {
  /** Count what would be deleted; delete nothing. Allowed even when the policy is disabled. */
  dryRun?: boolean;
  /** @default policy.batchSize */
  batchSize?: number;
  /** @default policy.maxBatches */
  maxBatches?: number;
  /** A stricter (older) cutoff than the policy's; a newer one is an error. ISO string keeps microseconds. */
  cutoff?: Date | string;
  /** Called after each batch (the CLI's progress display). */
  onBatch?: (progress: PurgeProgress) => void;
}

export interface PurgeProgress {
  batch: number;
  deletedChanges: number;
  deletedTransactions: number;
}

export interface PurgeSummary extends PurgeProgress {
  status: 'completed';
  dryRun: boolean;
  batchesRun: number;
  maxBatches: number;
  /** True when the run stopped at maxBatches: eligible rows are left for the next run. */
  maxBatchesReached: boolean;
  /** The global cutoff used (changes captured before it were eligible). */
  cutoff: string;
  /**
   * The legal holds in force during the run, at its start or in any batch (the changes they covered then were kept);
   * a dry run counts each one's.
   */
  holds: HoldKept[];
  /**
   * On partitioned storage: the ranges dropped (or detached) whole, each counted in `deletedChanges` and
   * `deletedTransactions` and in `batch` as one batch; a dry run lists those it would drop.
   */
  partitions: PartitionPurged[];
  /**
   * Ranges that could go whole but whose locks could not be had (a long transaction, steady writers): left whole,
   * rows included, for the next run, which tries again. Always empty in a dry run.
   */
  busyPartitions: BusyPartition[];
  durationMs: number;
}

/** A range a purge could have dropped whole but left, rows included, for the next run. */
export interface BusyPartition {
  changesPartition: string;
  from: string;
  to: string;
  /** Why: the database's error, naming the pids that held the locks. */
  reason: string;
}

/** One range of partitioned storage that a purge dropped or detached whole (`retention.partitions`). */
export interface PartitionPurged {
  changesPartition: string;
  transactionsPartition: string;
  /** The range's bounds (ISO, UTC): transactions that began from `from` up to, not including, `to`. */
  from: string;
  to: string;
  changes: number;
  transactions: number;
  /** How many of its transactions were sealed: each is recorded whole in the sealed purge ledger. */
  sealedTransactions: number;
  action: 'dropped' | 'detached';
}

/** The reference's `{:error, :disabled}`: nothing was deleted, and why. */
export interface PurgeRefused {
  status: 'disabled' | 'busy';
  reason: string;
}

export type PurgeResult = PurgeSummary | PurgeRefused;

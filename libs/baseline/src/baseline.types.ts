export interface BaselineOptions {
  /** false (the default) is a dry run: counts only, nothing written. */
  execute?: boolean;
  /** Rows per batch (one short transaction each); 1 to 100,000, default 1,000. */
  batchSize?: number;
  /** Stop after this many batches; a later run resumes where this one stopped. */
  maxBatches?: number;
  onBatch?: (progress: BaselineProgress) => void;
}

export interface BaselineProgress {
  table: string;
  batch: number;
  /** Snapshots written by this run so far. */
  written: number;
  /** Rows without history when this run started. */
  total: number;
}

export interface BaselineResult {
  table: string;
  /** dry_run: nothing written; complete: every row has history; stopped: maxBatches reached, run again to resume; nothing_to_do; busy: another baseline of this table holds its lock. */
  status: 'dry_run' | 'complete' | 'stopped' | 'nothing_to_do' | 'busy';
  /** The baseline transaction (audit_transactions.id), or null when none exists yet. */
  transactionId: string | null;
  /** True when this run continued an interrupted baseline. */
  resumed: boolean;
  /** Rows of the table with no captured change when the run started. */
  rowsWithoutHistory: number;
  /** Snapshots written by this run. */
  written: number;
  /** Snapshots in the baseline transaction, all runs together. */
  snapshots: number;
  batches: number;
  batchSize: number;
}

import { channel, Channel } from 'diagnostics_channel';

/**
 * Threadline's events, on Node's `diagnostics_channel` (the platform's
 * counterpart of Elixir's `:telemetry`): publishing costs nothing when no one
 * subscribes. Subscribe with `diagnostics_channel.subscribe(name, fn)` or
 * `threadlineEvents.actionRecorded.subscribe(fn)`.
 */
export const THREADLINE_EVENT_NAMES = {
  actionRecorded: 'threadline:action:recorded',
  transactionCommitted: 'threadline:capture:transaction_committed',
  healthChecked: 'threadline:health:checked',
  healthError: 'threadline:health:error',
  retentionBatch: 'threadline:retention:batch',
  retentionPurged: 'threadline:retention:purged',
  exportFinished: 'threadline:export:finished',
  baselineBatch: 'threadline:baseline:batch',
} as const;

export interface TransactionCommittedEvent {
  auditTransactionId: string;
  /** Audited tables the transaction changed. */
  tableCount: number;
  /** Whether the transaction names an actor. */
  attributed: boolean;
  /** Changes captured, per table (`schema.table`). */
  changes: { table: string; count: number }[];
}

export interface HealthCheckedEvent {
  covered: number;
  uncovered: number;
  /** Uncovered tables that are in neither expectedTables nor expectedUncoveredTables. */
  unclassified: number;
  /** Covered tables whose deployed capture differs from the configuration. */
  drifted: number;
}

export interface HealthErrorEvent {
  error: string;
  /** The error's class (`error.type` in OpenTelemetry's terms). */
  errorType: string;
  /** Failures in a row, so a sustained outage stays visible instead of freezing at the last good count. */
  consecutiveFailures: number;
}

export interface ActionRecordedEvent {
  actionId: string;
  name: string;
  status: 'ok' | 'error';
  /** The audit transaction the action was linked to, if it was recorded inside one. */
  linkedTransaction: boolean;
}

/** One batch of a retention purge committed. */
export interface RetentionBatchEvent {
  deletedChanges: number;
  deletedTransactions: number;
  durationMs: number;
}

/** A retention purge (not a dry run) ended: `status` as `purge()` returned it, or `'error'` with the error's class. */
export interface RetentionPurgedEvent {
  status: 'completed' | 'busy' | 'disabled' | 'error';
  deletedChanges: number;
  batches: number;
  durationMs: number;
  errorType?: string;
}

/** An export ended, every row written (or failed: `errorType`, the error's class). */
export interface ExportFinishedEvent {
  format: string;
  rows: number;
  truncated: boolean;
  durationMs: number;
  errorType?: string;
}

/** One batch of a baseline committed its snapshots. */
export interface BaselineBatchEvent {
  /** `schema.table` */
  table: string;
  written: number;
  /** Rows without history when the run started; `written` summed over the run approaches it. */
  total: number;
}

export const threadlineEvents = Object.fromEntries(
  Object.entries(THREADLINE_EVENT_NAMES).map(([key, name]) => [key, channel(name)]),
) as Record<keyof typeof THREADLINE_EVENT_NAMES, Channel>;

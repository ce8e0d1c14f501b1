import { publish, RetentionPurgedEvent, TelemetryAttributes } from '@threadline/core';
import { PurgeResult, PurgeSummary } from './purge.types';

/** The purge span's outcome attributes. */
export function purgeAttributes(result: PurgeResult): TelemetryAttributes {
  if (result.status !== 'completed') return { 'threadline.retention.status': result.status };
  return {
    'threadline.retention.status': result.status,
    'threadline.retention.deleted_changes': result.deletedChanges,
    'threadline.retention.deleted_transactions': result.deletedTransactions,
    'threadline.retention.batches': result.batchesRun,
  };
}

/** Publishes a purge's end on `threadline:retention:purged`. */
export function purged(
  outcome: { status: RetentionPurgedEvent['status']; errorType?: string } & Partial<Omit<PurgeSummary, 'status'>>,
  started: number,
): void {
  publish('retentionPurged', {
    status: outcome.status,
    deletedChanges: outcome.deletedChanges ?? 0,
    batches: outcome.batchesRun ?? 0,
    durationMs: Date.now() - started,
    ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
  } satisfies RetentionPurgedEvent);
}

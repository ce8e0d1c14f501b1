import { publish, RetentionPurgedEvent, TelemetryAttributes } from '@threadline/core';
import { PurgeProgress, PurgeResult } from './purge.types';

/** How a purge ended, for its span and event: its result, or `error` with what the batches committed before it. */
export type PurgeOutcome = PurgeResult | ({ status: 'error'; errorType: string } & PurgeProgress);

/** The purge span's outcome attributes (a dry run deletes nothing: its status only). */
export function purgeAttributes(outcome: PurgeOutcome): TelemetryAttributes {
  const status = { 'threadline.retention.status': outcome.status };
  if (outcome.status === 'error')
    return {
      ...status,
      'threadline.retention.deleted_changes': outcome.deletedChanges,
      'threadline.retention.deleted_transactions': outcome.deletedTransactions,
      'threadline.retention.batches': outcome.batch,
    };
  if (outcome.status !== 'completed' || outcome.dryRun) return status;
  return {
    ...status,
    'threadline.retention.deleted_changes': outcome.deletedChanges,
    'threadline.retention.deleted_transactions': outcome.deletedTransactions,
    'threadline.retention.batches': outcome.batchesRun,
    'threadline.retention.max_batches_reached': outcome.maxBatchesReached,
  };
}

/** Publishes a purge's end on `threadline:retention:purged` (not a dry run's). */
export function purged(outcome: PurgeOutcome, started: number): void {
  const work =
    outcome.status === 'completed'
      ? { deletedChanges: outcome.deletedChanges, batches: outcome.batchesRun }
      : outcome.status === 'error'
        ? { deletedChanges: outcome.deletedChanges, batches: outcome.batch }
        : { deletedChanges: 0, batches: 0 };
  publish('retentionPurged', {
    status: outcome.status,
    ...work,
    durationMs: Date.now() - started,
    ...(outcome.status === 'error' ? { errorType: outcome.errorType } : {}),
  } satisfies RetentionPurgedEvent);
}

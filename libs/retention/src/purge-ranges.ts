import { Logger } from '@nestjs/common';
import { Lease } from '@threadline/capture';
import { AuditTables, logLine, publish, RetentionBatchEvent } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { HoldInForce } from './legal-holds';
import { purgePartition, rangesBefore } from './purge-partitions';
import { WindowGroup } from './purge-windows';
import { BusyPartition, PartitionPurged, PurgeOptions, PurgeProgress } from './purge.types';
import { PurgeLeaseLostError } from './retention.errors';
import { notTried, partitionBusy, partitionDone } from './retention.messages';
import { RetentionPolicy } from './retention.options';

/** What a purge run lends its range step: its connection, lease and logger, and whether the app is stopping. */
export interface PurgeRun {
  runner: QueryRunner;
  tables: AuditTables;
  logger: Logger;
  stopping: () => boolean;
  lease: Lease;
}

/**
 * Partitioned storage: each range wholly past every window and held by no legal hold is dropped (or detached)
 * whole, oldest first, one range a batch (`progress` and `applied`, the holds seen, are the run's own); the rest
 * is left to the row batches. Not with `retention.partitions: 'rows'`, nor when empty transactions are kept (a
 * range's transactions go with it).
 */
export async function purgeRanges(
  run: PurgeRun,
  step: {
    groups: WindowGroup[];
    policy: RetentionPolicy;
    maxBatches: number;
    progress: PurgeProgress;
    applied: Map<string, HoldInForce>;
    onBatch: PurgeOptions['onBatch'];
  },
): Promise<{ done: PartitionPurged[]; busy: BusyPartition[] }> {
  const { groups, policy, progress } = step;
  const done: PartitionPurged[] = [];
  const busy: BusyPartition[] = [];
  if (policy.partitions === 'rows' || !policy.deleteEmptyTransactions) return { done, busy };
  const ranges = await rangesBefore(run.runner, run.tables, groups);
  for (const [i, range] of ranges.entries()) {
    if (run.stopping() || progress.batch >= step.maxBatches) break;
    if (!(await run.lease.renew())) throw PurgeLeaseLostError.create(progress.batch);
    const began = Date.now();
    const detach = policy.partitions === 'detach';
    const { purged, holds, busy: why } = await purgePartition(run.runner, run.tables, groups, range, detach);
    for (const h of holds) step.applied.set(h.id, h);
    if (why !== undefined) {
      const left = { changesPartition: range.changesPartition, from: range.from, to: range.to, reason: why };
      // the ranges after it too: what held its parents' locks holds theirs (one idle reader cost every range its
      // full tries, the sealer waiting behind the purge all along)
      const rest = ranges.slice(i + 1).map(({ changesPartition, from, to }) => ({
        changesPartition,
        from,
        to,
        reason: notTried(range.changesPartition),
      }));
      for (const skipped of [left, ...rest]) {
        busy.push(skipped);
        logLine(run.logger, 'warn', 'retention:partition-busy', partitionBusy(skipped), {
          partition: skipped.changesPartition,
          from: skipped.from,
          to: skipped.to,
        });
      }
      break;
    }
    if (!purged) continue;
    done.push(purged);
    batchCommitted(progress, purged.changes, purged.transactions, began);
    logLine(run.logger, 'log', 'retention:partition', partitionDone(purged), {
      batch: progress.batch,
      partition: purged.changesPartition,
      transactions_partition: purged.transactionsPartition,
      from: purged.from,
      to: purged.to,
      action: purged.action,
      changes: purged.changes,
      transactions: purged.transactions,
      sealed_transactions: purged.sealedTransactions,
    });
    step.onBatch?.({ ...progress });
  }
  return { done, busy };
}

/** A batch (of rows, or a range) committed: counted in the run's progress and published on `threadline:retention:batch`. */
export function batchCommitted(progress: PurgeProgress, changes: number, transactions: number, began: number): void {
  publish('retentionBatch', {
    deletedChanges: changes,
    deletedTransactions: transactions,
    durationMs: Date.now() - began,
  } satisfies RetentionBatchEvent);
  progress.batch++;
  progress.deletedChanges += changes;
  progress.deletedTransactions += transactions;
}

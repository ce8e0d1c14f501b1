import { SqlParams } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { eligible, WindowGroup } from './purge-windows';
import { PurgeSummary } from './purge.types';
import { RetentionPolicy } from './retention.options';

/**
 * What a purge would do, counted without deleting: the changes eligible in any window (capped at
 * batchSize x maxBatches) and, when empty transactions go too, the transactions every change of which is
 * eligible (exact unless the cap cuts the run short).
 */
export async function dryRunSummary(
  runner: QueryRunner,
  tables: { changes: string; transactions: string },
  groups: WindowGroup[],
  batchSize: number,
  maxBatches: number,
  policy: RetentionPolicy,
  started: number,
): Promise<PurgeSummary> {
  const cap = batchSize * maxBatches;
  // the groups partition the tables, so a change is eligible when it is eligible in any group
  const counted = SqlParams.bound();
  const anyGroup = groups.map((g) => eligible(g, counted)).join(' OR ');
  const [{ n: total }] = await runner.query(
    `SELECT count(*)::bigint AS n FROM ${tables.changes} AS c WHERE ${anyGroup}`,
    counted.values,
  );
  const eligibleChanges = Number(total);
  const deletedChanges = Math.min(eligibleChanges, cap);
  let deletedTransactions = 0;
  if (policy.deleteEmptyTransactions && deletedChanges > 0) {
    // Transactions every one of whose changes is eligible (exact unless the cap cuts the run short).
    const [{ n }] = await runner.query(
      `SELECT count(*)::bigint AS n FROM ${tables.transactions} AS t
       WHERE EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id)
         AND NOT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id AND NOT (${anyGroup}))`,
      counted.values,
    );
    deletedTransactions = Number(n);
  }
  const batchesRun = Math.min(Math.ceil(eligibleChanges / batchSize), maxBatches);
  return {
    status: 'completed',
    dryRun: true,
    batch: batchesRun,
    deletedChanges,
    deletedTransactions,
    batchesRun,
    maxBatches,
    maxBatchesReached: eligibleChanges > cap,
    cutoff: groups[0].cutoff,
    durationMs: Date.now() - started,
  };
}

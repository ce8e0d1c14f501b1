import { AuditTables, SqlParams } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { heldSql, HoldInForce } from './legal-holds';
import { eligible, WindowGroup } from './purge-windows';
import { PurgeSummary } from './purge.types';
import { rangesToPurge } from './purge-partitions';
import { RetentionPolicy } from './retention.options';

/**
 * What a purge would do, counted without deleting: the changes eligible in any window (capped at
 * batchSize x maxBatches) and, when empty transactions go too, the transactions every change of which is
 * eligible (exact unless the cap cuts the run short). A change a legal hold covers is not eligible; each hold
 * in force says how many of the changes otherwise eligible it keeps.
 */
export async function dryRunSummary(
  runner: QueryRunner,
  tables: AuditTables,
  groups: WindowGroup[],
  holds: HoldInForce[],
  batchSize: number,
  maxBatches: number,
  policy: RetentionPolicy,
  started: number,
): Promise<PurgeSummary> {
  // on partitioned storage the ranges that would go whole first, one batch each
  const dropping = policy.partitions !== 'rows' && policy.deleteEmptyTransactions;
  const partitions = dropping
    ? await rangesToPurge(
        runner,
        tables,
        groups,
        holds,
        policy.partitions === 'detach' ? 'detached' : 'dropped',
        maxBatches,
      )
    : [];
  const inRanges = (p: SqlParams, key: string) =>
    !partitions.length
      ? 'true'
      : `NOT EXISTS (SELECT 1 FROM unnest(${p.add(partitions.map((r) => r.from))}::timestamptz[], ${p.add(partitions.map((r) => r.to))}::timestamptz[]) AS r(f, u)
                 WHERE ${key} >= r.f AND ${key} < r.u)`;
  const cap = batchSize * (maxBatches - partitions.length);
  // the groups partition the tables, so a change is eligible when it is eligible in any group
  const inWindow = (p: SqlParams) => `(${groups.map((g) => eligible(g, p)).join(' OR ')})`;
  const counted = SqlParams.bound();
  const windows = inWindow(counted);
  const kept = holds.map((h, i) => `, count(*) FILTER (WHERE ${heldSql([h], tables, counted)})::bigint AS h${i}`);
  const [{ n: total, ...keptBy }] = await runner.query(
    `SELECT count(*) FILTER (WHERE NOT ${heldSql(holds, tables, counted)})::bigint AS n${kept.join('')}
     FROM ${tables.changes} AS c WHERE ${windows} AND ${inRanges(counted, 'c.transaction_occurred_at')}`,
    counted.values,
  );
  const eligibleChanges = Number(total);
  const rowChanges = Math.min(eligibleChanges, cap);
  const sum = (key: 'changes' | 'transactions') => partitions.reduce((n, r) => n + r[key], 0);
  const deletedChanges = sum('changes') + rowChanges;
  let deletedTransactions = sum('transactions');
  if (policy.deleteEmptyTransactions && rowChanges > 0) {
    // Transactions every one of whose changes is eligible (exact unless the cap cuts the run short).
    const p = SqlParams.bound();
    const anyGroup = `${inWindow(p)} AND NOT ${heldSql(holds, tables, p)}`;
    const [{ n }] = await runner.query(
      `SELECT count(*)::bigint AS n FROM ${tables.transactions} AS t
       WHERE ${inRanges(p, 't.occurred_at')} AND EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id)
         AND NOT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id AND NOT (${anyGroup}))`,
      p.values,
    );
    deletedTransactions += Number(n);
  }
  const batchesRun =
    partitions.length + Math.min(Math.ceil(eligibleChanges / batchSize), maxBatches - partitions.length);
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
    holds: holds.map((h, i) => ({
      id: h.id,
      reason: h.reason,
      heldBy: h.heldBy,
      keptChanges: Number(keptBy[`h${i}`]),
    })),
    partitions,
    busyPartitions: [],
    durationMs: Date.now() - started,
  };
}

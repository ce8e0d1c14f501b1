import { AuditTables, SqlParams } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { heldSql, HoldInForce } from './legal-holds';
import { eligible, WindowGroup } from './purge-windows';
import { PurgeSummary } from './purge.types';
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
  const cap = batchSize * maxBatches;
  // the groups partition the tables, so a change is eligible when it is eligible in any group
  const inWindow = (p: SqlParams) => `(${groups.map((g) => eligible(g, p)).join(' OR ')})`;
  const counted = SqlParams.bound();
  const windows = inWindow(counted);
  const kept = holds.map((h, i) => `, count(*) FILTER (WHERE ${heldSql([h], tables, counted)})::bigint AS h${i}`);
  const [{ n: total, ...keptBy }] = await runner.query(
    `SELECT count(*) FILTER (WHERE NOT ${heldSql(holds, tables, counted)})::bigint AS n${kept.join('')}
     FROM ${tables.changes} AS c WHERE ${windows}`,
    counted.values,
  );
  const eligibleChanges = Number(total);
  const deletedChanges = Math.min(eligibleChanges, cap);
  let deletedTransactions = 0;
  if (policy.deleteEmptyTransactions && deletedChanges > 0) {
    // Transactions every one of whose changes is eligible (exact unless the cap cuts the run short).
    const p = SqlParams.bound();
    const anyGroup = `${inWindow(p)} AND NOT ${heldSql(holds, tables, p)}`;
    const [{ n }] = await runner.query(
      `SELECT count(*)::bigint AS n FROM ${tables.transactions} AS t
       WHERE EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id)
         AND NOT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id AND NOT (${anyGroup}))`,
      p.values,
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
    holds: holds.map((h, i) => ({
      id: h.id,
      reason: h.reason,
      heldBy: h.heldBy,
      keptChanges: Number(keptBy[`h${i}`]),
    })),
    durationMs: Date.now() - started,
  };
}

import {
  PARTITIONS_FUNCTION,
  PURGE_PARTITION_FUNCTION,
  SEAL_LOCK_TIMEOUT_SECONDS,
  SEALS_TABLE,
} from '@threadline/capture';
import { AuditTables, isoUtc, SqlParams } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { heldSql, HoldInForce, holdsInForce } from './legal-holds';
import { eligible, WindowGroup } from './purge-windows';
import { PartitionPurged } from './purge.types';

/** One range of both partitioned audit tables (the same bounds), as `threadline_partitions()` lists them. */
export interface PartitionRange {
  from: string;
  to: string;
  changesPartition: string;
  transactionsPartition: string;
}

/** SQL: the earliest cutoff of all windows (`$n`, their cutoffs): a change captured before it is eligible whatever its table. */
const earliestCutoff = (n: number) => `(SELECT min(x) FROM unnest($${n}::timestamptz[]) AS x)`;
const cutoffs = (groups: WindowGroup[]) => groups.map((g) => g.cutoff);

/**
 * The ranges that end at or before every window's cutoff, oldest first: only on partitioned storage of
 * schema v13 and up (the purge deletes row by row otherwise). Times as ISO text in UTC.
 */
export async function rangesBefore(
  runner: QueryRunner,
  tables: AuditTables,
  groups: WindowGroup[],
): Promise<PartitionRange[]> {
  const [{ usable }] = await runner.query(
    `SELECT coalesce(${tables.partitionedSql()}, false) AND to_regprocedure($1) IS NOT NULL AS usable`,
    [`${tables.named(PURGE_PARTITION_FUNCTION)}(timestamptz, timestamptz, boolean)`],
  );
  if (!usable) return [];
  const listed = tables.named(PARTITIONS_FUNCTION);
  const rows: { from: string; to: string; changes: string; transactions: string }[] = await runner.query(
    `SELECT ${isoUtc('c.from_at')} AS "from", ${isoUtc('c.to_at')} AS "to",
            c.partition_name AS changes, t.partition_name AS transactions
     FROM ${listed}() AS c JOIN ${listed}() AS t
       ON t.table_name = 'audit_transactions' AND NOT t.is_default AND t.from_at = c.from_at AND t.to_at = c.to_at
     WHERE c.table_name = 'audit_changes' AND NOT c.is_default AND c.to_at <= ${earliestCutoff(1)}
     ORDER BY c.from_at`,
    [cutoffs(groups)],
  );
  return rows.map((r) => ({
    from: r.from,
    to: r.to,
    changesPartition: r.changes,
    transactionsPartition: r.transactions,
  }));
}

/**
 * SQL: the range holds something the purge keeps: a change in no window or held; or, while a hold names no table,
 * key or op (so it may cover what a transaction did beyond its changes: an action alone), a transaction of the
 * range without changes (a row purge never removes one; a drop would).
 */
function keepsSomething(groups: WindowGroup[], holds: HoldInForce[], tables: AuditTables, range: PartitionRange) {
  const p = SqlParams.bound();
  const from = p.add(range.from);
  const to = p.add(range.to);
  // and captured before the earliest cutoff, as the drop itself requires (a later change of a table with its own,
  // shorter window goes by rows)
  const earliest = `(SELECT min(x) FROM unnest(${p.add(cutoffs(groups))}::timestamptz[]) AS x)`;
  const deletable = `(${groups.map((g) => eligible(g, p)).join(' OR ')}) AND c.captured_at < ${earliest} AND NOT ${heldSql(holds, tables, p)}`;
  const inRange = (key: string) => `${key} >= ${from}::timestamptz AND ${key} < ${to}::timestamptz`;
  const transactionWide = holds.some(({ normalized: f }) => !f.table && !f.key && !f.ops);
  const bare = `EXISTS (SELECT 1 FROM ${tables.transactions} AS t WHERE ${inRange('t.occurred_at')}
                  AND NOT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id AND ${inRange('c.transaction_occurred_at')}))`;
  return {
    sql: `SELECT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE ${inRange('c.transaction_occurred_at')} AND NOT (${deletable}))
                 ${transactionWide ? `OR ${bare}` : ''} AS kept`,
    values: p.values,
  };
}

/** Whether every change of the range may go: no window keeps it and no hold in `holds` covers it. */
export async function wholeRangeEligible(
  runner: QueryRunner,
  tables: AuditTables,
  groups: WindowGroup[],
  holds: HoldInForce[],
  range: PartitionRange,
): Promise<boolean> {
  const { sql, values } = keepsSomething(groups, holds, tables, range);
  const [{ kept }] = await runner.query(sql, values);
  return !kept;
}

/**
 * One range in its own READ COMMITTED transaction: under the sealers' lock and the holds' SHARE lock (as a batch
 * takes them), drops or detaches both partitions when every change in them may go, recording the sealed
 * transactions they held in the purge ledger. `null` when the range keeps something (it is left to the row
 * batches) or a change was captured in it at or after the cutoff meanwhile (the SQL refuses it).
 */
export async function purgePartition(
  runner: QueryRunner,
  tables: AuditTables,
  groups: WindowGroup[],
  range: PartitionRange,
  detach: boolean,
): Promise<{ purged: PartitionPurged | null; holds: HoldInForce[]; busy?: string }> {
  await runner.startTransaction('READ COMMITTED');
  try {
    await runner.query(`SET LOCAL lock_timeout = '${SEAL_LOCK_TIMEOUT_SECONDS}s'`);
    await runner.query(`LOCK TABLE ${tables.named(SEALS_TABLE)} IN SHARE ROW EXCLUSIVE MODE`);
    const holds = await holdsInForce(runner, tables, true);
    // one window and no hold: a change may go exactly when it was captured before the cutoff, which the drop
    // checks itself under its locks (threadline_purge_partition): no read of the range here
    const checkedByDrop = groups.length === 1 && !holds.length;
    if (!checkedByDrop && !(await wholeRangeEligible(runner, tables, groups, holds, range))) {
      await runner.commitTransaction();
      return { purged: null, holds };
    }
    await runner.query('SAVEPOINT threadline_partition');
    let rows: PartitionRow[];
    try {
      rows = await runner.query(
        `SELECT changes_partition, transactions_partition, ${isoUtc('from_at')} AS from_at,
                ${isoUtc('to_at')} AS to_at, changes::text, transactions::text, sealed
         FROM ${tables.named(PURGE_PARTITION_FUNCTION)}($1::timestamptz, ${earliestCutoff(2)}, $3)`,
        [range.from, cutoffs(groups), detach],
      );
    } catch (error) {
      // 55000: a change captured in the range at or after the cutoff, or the range written to meanwhile: the row
      // batches purge what may go of it. 55P03: its locks could not be had (a long transaction, steady writers):
      // left whole for the next run, which tries again (the row batches skip it)
      const code = (error as { code?: string }).code;
      if (code !== '55000' && code !== '55P03') throw error;
      await runner.query('ROLLBACK TO SAVEPOINT threadline_partition');
      await runner.commitTransaction();
      return { purged: null, holds, busy: code === '55P03' ? (error as Error).message : undefined };
    }
    await runner.commitTransaction();
    const [row] = rows;
    return {
      purged: {
        changesPartition: row.changes_partition,
        transactionsPartition: row.transactions_partition,
        from: row.from_at,
        to: row.to_at,
        changes: Number(row.changes),
        transactions: Number(row.transactions),
        sealedTransactions: row.sealed,
        action: detach ? 'detached' : 'dropped',
      },
      holds,
    };
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
}

interface PartitionRow {
  changes_partition: string;
  transactions_partition: string;
  from_at: string;
  to_at: string;
  changes: string;
  transactions: string;
  sealed: number;
}

/**
 * What a purge would drop whole (a dry run): each range `rangesBefore` lists whose every change may go, up to
 * `max`, with its counts read through the parents (they prune to the range's partitions).
 */
export async function rangesToPurge(
  runner: QueryRunner,
  tables: AuditTables,
  groups: WindowGroup[],
  holds: HoldInForce[],
  action: PartitionPurged['action'],
  max: number,
): Promise<PartitionPurged[]> {
  const found: PartitionPurged[] = [];
  for (const range of await rangesBefore(runner, tables, groups)) {
    if (found.length >= max) break;
    if (!(await wholeRangeEligible(runner, tables, groups, holds, range))) continue;
    const [counts] = await runner.query(
      `SELECT (SELECT count(*) FROM ${tables.changes} AS c
               WHERE c.transaction_occurred_at >= $1::timestamptz AND c.transaction_occurred_at < $2::timestamptz)::text AS changes,
              (SELECT count(*) FROM ${tables.transactions} AS t
               WHERE t.occurred_at >= $1::timestamptz AND t.occurred_at < $2::timestamptz)::text AS transactions,
              (SELECT count(*) FROM ${tables.transactions} AS t JOIN ${tables.named(SEALS_TABLE)} AS s ON s.transaction_id = t.id
               WHERE t.occurred_at >= $1::timestamptz AND t.occurred_at < $2::timestamptz)::int AS sealed`,
      [range.from, range.to],
    );
    found.push({
      ...range,
      changes: Number(counts.changes),
      transactions: Number(counts.transactions),
      sealedTransactions: counts.sealed,
      action,
    });
  }
  return found;
}

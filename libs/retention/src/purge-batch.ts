import { ledgerHashSql, RECORD_PURGE_FUNCTION, SEAL_LOCK_TIMEOUT_SECONDS, SEALS_TABLE } from '@threadline/capture';
import { AuditTables, SqlParams } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { RetentionPolicy } from './retention.options';
import { eligible, WindowGroup } from './purge-windows';
import { heldSql, HoldInForce, holdsInForce } from './legal-holds';

/**
 * One batch in its own transaction: the oldest eligible changes with ids above `after` that no legal hold in
 * force covers, then the transactions they left empty and their actions; `lastId` is the highest id it deleted.
 * On partitioned storage the ranges in `skip` (a drop could not have their locks) are left whole for the next run.
 */
export async function purgeBatch(
  runner: QueryRunner,
  tables: AuditTables,
  group: WindowGroup,
  batchSize: number,
  policy: RetentionPolicy,
  after: string | undefined,
  skip: { from: string; to: string }[] = [],
): Promise<{ changes: number; transactions: number; lastId?: string; holds: HoldInForce[] }> {
  const p = SqlParams.bound();
  const where = after === undefined ? eligible(group, p) : `${eligible(group, p)} AND c.id > ${p.add(after)}::bigint`;
  // READ COMMITTED whatever default_transaction_isolation says: each statement's snapshot is taken after the locks
  // below, so the holds read are every hold committed before this batch locked their table.
  await runner.startTransaction('READ COMMITTED');
  try {
    // The sealers' lock first: no transaction is sealed between reading a change's hash (or finding it
    // unsealed) and recording the purge. Bounded like the sealer's own wait.
    await runner.query(`SET LOCAL lock_timeout = '${SEAL_LOCK_TIMEOUT_SECONDS}s'`);
    await runner.query(`LOCK TABLE ${tables.named(SEALS_TABLE)} IN SHARE ROW EXCLUSIVE MODE`);
    // The holds in force now, read under their table's SHARE lock: one set or released meanwhile waits for this
    // batch to commit, so a hold that has been set covers every batch after.
    const holds = await holdsInForce(runner, tables, true);
    const held = heldSql(holds, tables, p);
    // on partitioned storage each doomed change is deleted by its full key (id and partition key): by id alone
    // PostgreSQL looks in every partition, hashing them all (26x slower per batch at 1M changes)
    const [{ partitioned }] = await runner.query(`SELECT coalesce(${tables.partitionedSql()}, false) AS partitioned`);
    // and the walk skips the partitions that begin after the cutoff (a change is captured after its transaction
    // began, so none of them holds an eligible change): walking every partition's key in id order read each
    // partition whole to find its first eligible row
    const prune = partitioned
      ? ` AND c.transaction_occurred_at < ${p.add(group.cutoff)}::timestamptz${skip.map((s) => ` AND NOT (c.transaction_occurred_at >= ${p.add(s.from)}::timestamptz AND c.transaction_occurred_at < ${p.add(s.to)}::timestamptz)`).join('')}`
      : '';
    // structured result: TypeORM returns DELETE results as [rows, count] otherwise. Each change's hash is
    // taken as it goes, for the purge ledger (sealed transactions stay verifiable without it).
    const { records: deleted } = (await runner.query(
      `WITH doomed AS (
         SELECT c.id, c.transaction_occurred_at FROM ${tables.changes} AS c
         WHERE ${where} AND NOT ${held}${prune}
         -- ids come from a sequence at capture time: the primary key walks the oldest first
         ORDER BY c.id
         LIMIT ${batchSize}
         FOR UPDATE SKIP LOCKED
       )
       DELETE FROM ${tables.changes} AS c USING doomed
       WHERE c.id = doomed.id${partitioned ? ` AND c.transaction_occurred_at = doomed.transaction_occurred_at${prune}` : ''}
       RETURNING c.id::text AS id, c.transaction_id, encode(${ledgerHashSql(tables.schema, 'c')}, 'hex') AS sha256`,
      p.values,
      true,
    )) as { records: { id: string; transaction_id: string; sha256: string | null }[] };
    let emptied: string[] = [];
    if (policy.deleteEmptyTransactions && deleted.length > 0) {
      const { records } = (await runner.query(
        `DELETE FROM ${tables.transactions} AS t
         WHERE t.id = ANY ($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM ${tables.changes} AS c WHERE c.transaction_id = t.id)
         RETURNING t.id`,
        [[...new Set(deleted.map((d) => d.transaction_id))]],
        true,
      )) as { records: { id: string }[] };
      emptied = records.map((r) => r.id);
      // their actions go with them: part of each one's seal, an action left behind would outlive the proof of it
      if (emptied.length)
        await runner.query(`DELETE FROM ${tables.actions} AS a WHERE a.transaction_id = ANY ($1::uuid[])`, [emptied]);
    }
    const transactions = emptied.length;
    if (deleted.length > 0) {
      // What this batch removed from sealed transactions, in the ledger and as a purge seal of the chain:
      // verification recomputes what remains and excuses exactly this (docs/trust.md).
      await runner.query(`SELECT ${tables.named(RECORD_PURGE_FUNCTION)}($1::jsonb, $2::uuid[])`, [
        JSON.stringify(deleted.map((d) => [d.id, d.transaction_id, d.sha256])),
        emptied,
      ]);
    }
    await runner.commitTransaction();
    const lastId = deleted.map((d) => BigInt(d.id)).reduce((a, b) => (a > b ? a : b), 0n);
    return { changes: deleted.length, transactions, lastId: lastId.toString(), holds };
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
}

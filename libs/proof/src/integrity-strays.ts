import { openBaselineSql } from '@threadline/capture';
import { AuditTables, literal } from '@threadline/core';
import { IntegrityProblem } from './integrity.types';
import { integrityProblems as problems } from './integrity.problems';

/** One kind of row no seal accounts for: the query that finds it and the problem each row is. */
export interface StrayCheck {
  sql: string;
  problem: (row: Record<string, string | null>) => IntegrityProblem;
}

/** Purge ledger rows that excuse nothing real: naming a change still there, or no purge seal. */
function ledgerStrays(seals: string, ledger: string, changes: string, archive: boolean): StrayCheck[] {
  return [
    // an archive keeps what the source purged: there a ledger row naming a present change is the rule
    ...(archive
      ? []
      : [
          {
            // a purge removes what it records
            sql: `SELECT p.change_id::text, p.purge_seq::text FROM ${ledger} AS p
              WHERE p.change_id IS NOT NULL AND EXISTS (SELECT 1 FROM ${changes} AS c WHERE c.id = p.change_id)
              ORDER BY p.change_id`,
            problem: (r: Record<string, string | null>) =>
              problems.ledgerNamesPresentChange(Number(r.purge_seq), r.change_id!),
          },
        ]),
    {
      // written by hand, to excuse a deletion
      sql: `SELECT DISTINCT p.purge_seq::text AS purge_seq FROM ${ledger} AS p
              WHERE NOT EXISTS (SELECT 1 FROM ${seals} AS s WHERE s.seq = p.purge_seq AND s.kind = 'purge')
              ORDER BY 1`,
      problem: (r) => problems.ledgerWithoutPurgeSeal(ledger, Number(r.purge_seq)),
    },
  ];
}

/**
 * On an archive (txids are the source's; its own say nothing of them): a transaction the source would have sealed
 * by now, begun a day before its newest seal, or one from the future. A forged one with a txid past the source's
 * is reported once it is a day older than the newest seal the archive has received.
 */
const ARCHIVE_UNSEALABLE = (seals: string) =>
  `t.occurred_at < (SELECT max(s.sealed_at) FROM ${seals} AS s) - interval '1 day' OR t.occurred_at > now() + interval '1 hour'`;

/** An archive whose subscription no longer applies what its source sends: disabled, or failing. */
function archiveStrays(seals: string): StrayCheck[] {
  return [
    {
      sql: `SELECT s.subname::text AS name, (NOT s.subenabled)::text AS disabled, coalesce(st.apply_error_count, 0)::text AS errors
              FROM pg_catalog.pg_subscription AS s
              JOIN pg_catalog.pg_subscription_rel AS r ON r.srsubid = s.oid AND r.srrelid = to_regclass(${literal(seals)})
              LEFT JOIN pg_catalog.pg_stat_subscription_stats AS st ON st.subid = s.oid
              WHERE NOT s.subenabled OR coalesce(st.apply_error_count, 0) > 0
              ORDER BY 1`,
      problem: (r) => problems.archiveNotReceiving(r.name!, r.disabled === 'true', Number(r.errors)),
    },
  ];
}

/** Transactions, changes and actions outside the chain. */
function rowStrays(seals: string, ledger: string, tables: AuditTables, archive: boolean): StrayCheck[] {
  const { transactions, changes, actions } = tables;
  return [
    {
      // passed by the sealer (inserted after sealing), or with a txid the server has not handed out yet
      // (the sealer never reaches those: only a forger writes them; on an archive txids are the source's)
      sql: `SELECT t.id FROM ${transactions} AS t
              WHERE (t.txid < coalesce((SELECT s.horizon FROM ${seals} AS s ORDER BY s.seq DESC LIMIT 1), 0)
                     OR ${archive ? ARCHIVE_UNSEALABLE(seals) : 't.txid >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint'})
                AND NOT EXISTS (SELECT 1 FROM ${seals} AS s WHERE s.transaction_id = t.id)
                AND NOT ${openBaselineSql()}
              ORDER BY t.occurred_at, t.id`,
      problem: (r) => problems.transactionUnsealed(r.id!),
    },
    {
      sql: `SELECT c.id::text, c.transaction_id FROM ${changes} AS c
              WHERE NOT EXISTS (SELECT 1 FROM ${transactions} AS t WHERE t.id = c.transaction_id)
              ORDER BY c.id`,
      problem: (r) => problems.orphanChange(r.id!, r.transaction_id!),
    },
    {
      // a change's transaction_occurred_at (v12, the partition key) is a copy of its transaction's start, which
      // is hashed: one that differs was edited, and on partitioned storage moved to another partition, where a
      // partition drop would take it apart from its transaction (NULL: stored before v12)
      sql: `SELECT c.id::text, c.transaction_id FROM ${changes} AS c JOIN ${transactions} AS t ON t.id = c.transaction_id
              WHERE c.transaction_occurred_at <> t.occurred_at
              ORDER BY c.id`,
      problem: (r) => problems.changeMoved(r.id!, r.transaction_id!),
    },
    ...copies(tables),
    {
      // every recorded action sets its transaction's action_id (part of the sealed row), and the seal skips
      // the actions of a transaction without one
      sql: `SELECT a.id::text, a.transaction_id, s.seq::text AS seq FROM ${actions} AS a
              JOIN ${transactions} AS t ON t.id = a.transaction_id AND t.action_id IS NULL
              LEFT JOIN ${seals} AS s ON s.transaction_id = t.id
              ORDER BY a.inserted_at, a.id`,
      problem: (r) => problems.actionAdded(r.id!, r.transaction_id!, r.seq === null ? undefined : Number(r.seq)),
    },
    {
      // actions of v5 name their transaction, and a purge removes a transaction's actions with it (from v13:
      // the install moved those earlier purges left behind out of the log); those recorded before v5 name none
      // and are not covered (docs/trust.md)
      sql: `SELECT a.id::text, a.transaction_id FROM ${actions} AS a
              WHERE a.transaction_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM ${transactions} AS t WHERE t.id = a.transaction_id)
              ORDER BY a.inserted_at, a.id`,
      problem: (r) => problems.orphanAction(r.id!, r.transaction_id!),
    },
  ];
}

/**
 * Ids stored twice. On partitioned storage the primary keys include the partition key, so a transaction or a change
 * copied under another start time (into another partition) is not refused by them; unpartitioned, the keys refuse
 * it and the scans are skipped (the condition is decided once, before them).
 */
function copies(tables: AuditTables): StrayCheck[] {
  const { transactions, changes } = tables;
  const partitioned = tables.partitionedSql();
  return [
    {
      sql: `SELECT t.id, count(*)::text AS copies FROM ${transactions} AS t WHERE ${partitioned}
              GROUP BY t.id HAVING count(*) > 1 ORDER BY t.id`,
      problem: (r) => problems.transactionCopied(r.id!, Number(r.copies)),
    },
    {
      sql: `SELECT c.id::text, count(*)::text AS copies FROM ${changes} AS c WHERE ${partitioned}
              GROUP BY c.id HAVING count(*) > 1 ORDER BY c.id`,
      problem: (r) => problems.changeCopied(r.id!, Number(r.copies)),
    },
  ];
}

/**
 * Rows no seal accounts for, each kind found by one query, in this order: ledger rows naming a change still
 * there or no purge seal, transactions the sealer passed or never reaches, changes of no transaction, changes
 * filed under another start than their transaction's, ids stored twice (partitioned storage), actions added to a
 * transaction that records none, actions of no transaction.
 */
export function strayChecks(tables: AuditTables, seals: string, ledger: string, archive = false): StrayCheck[] {
  return [
    ...(archive ? archiveStrays(seals) : []),
    ...ledgerStrays(seals, ledger, tables.changes, archive),
    ...rowStrays(seals, ledger, tables, archive),
  ];
}

import { cachedTransactionId, transactionCacheSetting } from '@threadline/core';
import type { EntityManager } from 'typeorm';

/**
 * The id of the `audit_transactions` row of the current database
 * transaction, or null if it has made no audited change yet. Call it inside
 * the transaction, after the writes (for example to return it to a client).
 */
export async function currentAuditTransactionId(
  manager: Pick<EntityManager, 'query'>,
  auditSchema = 'public',
): Promise<string | null> {
  const [row] = await manager.query(
    `SELECT current_setting($1, true) AS cached, txid_current_if_assigned()::text AS xid`,
    [transactionCacheSetting(auditSchema)],
  );
  return cachedTransactionId(row?.cached, row?.xid);
}

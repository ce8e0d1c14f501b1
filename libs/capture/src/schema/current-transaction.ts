import type { EntityManager } from 'typeorm';
import { TRANSACTION_CACHE_SETTING } from './audit-schema.sql';

/**
 * The id of the `audit_transactions` row of the current database
 * transaction, or null if it has made no audited change yet. Call it inside
 * the transaction, after the writes (for example to return it to a client).
 */
export async function currentAuditTransactionId(manager: Pick<EntityManager, 'query'>): Promise<string | null> {
  const [row] = await manager.query(
    `SELECT current_setting($1, true) AS cached, txid_current_if_assigned()::text AS xid`,
    [TRANSACTION_CACHE_SETTING],
  );
  const cached: string | null = row?.cached || null;
  if (!cached || !row.xid || !cached.startsWith(`${row.xid}/`)) return null;
  return cached.slice(row.xid.length + 1);
}

/**
 * The audit transaction id of the current database transaction is cached in
 * a transaction-local setting as `<txid>/<uuid>`: later statements of the
 * same transaction find their audit_transactions row there, and a value left
 * from another transaction (a pooled session) never matches its txid. These
 * are the only places the format is written and read.
 */
export const TRANSACTION_CACHE_SETTING = 'threadline.transaction_id';

/**
 * A transaction-local setting of one audit schema: `public` keeps the plain
 * name, another schema gets its own (two audit schemas in one database must
 * not overwrite each other's cached transaction).
 */
export function auditSchemaSetting(base: string, auditSchema = 'public'): string {
  return auditSchema === 'public' ? base : `${base}_${Buffer.from(auditSchema).toString('hex').slice(0, 40)}`;
}

/** The cache setting of an audit schema. */
export function transactionCacheSetting(auditSchema = 'public'): string {
  return auditSchemaSetting(TRANSACTION_CACHE_SETTING, auditSchema);
}

/** SQL reading the cached value of an audit schema (NULL when unset). */
export function cachedTransactionSql(auditSchema = 'public'): string {
  return `current_setting('${transactionCacheSetting(auditSchema)}', true)`;
}

/** SQL reading the cached value (NULL when unset), for the `public` audit schema. */
export const CACHED_TRANSACTION_SQL = cachedTransactionSql();

/** SQL: the value to cache for transaction `xid` and audit transaction `id` (both SQL expressions). */
export function transactionCacheValueSql(xid: string, id: string): string {
  return `${xid}::text || '/' || ${id}::text`;
}

/** SQL: does `cached` belong to transaction `xid`? */
export function transactionCacheMatchesSql(cached: string, xid: string): string {
  return `${cached} LIKE ${xid}::text || '/%'`;
}

/** SQL: the audit transaction id in `cached` (check `transactionCacheMatchesSql` first). */
export function cachedTransactionIdSql(cached: string, xid: string): string {
  return `substr(${cached}, length(${xid}::text) + 2)::uuid`;
}

/** The same reading in TypeScript: the id cached for transaction `xid`, or null. */
export function cachedTransactionId(cached: string | null | undefined, xid: string | null | undefined): string | null {
  if (!cached || !xid || !cached.startsWith(`${xid}/`)) return null;
  return cached.slice(xid.length + 1);
}

import { installSql } from './install-sql';

export * from './seal-hash';

// Tamper evidence (README "Trust"): the seal tables and the sealer are in
// libs/capture/sql/004-seal-tables.sql and 005-seal-functions.sql.

/** Seals audit transactions into the hash chain; SECURITY DEFINER, so the app's role needs only EXECUTE. */
export const SEAL_FUNCTION = 'threadline_seal';
/**
 * Where a purge of schema v4 or before cut the chain. Kept for those purges
 * only: at or before the latest one, a seal made before v5 (format 1) may
 * miss its transaction or some of its changes. Purges of v5 record exactly
 * what they removed instead (PURGED_TABLE).
 */
export const CHECKPOINTS_TABLE = 'audit_seal_checkpoints';
/**
 * The Merkle tree over the seals (RFC 6962): the hash of every complete, aligned subtree of level 4
 * (16 seals) and up (leaf i is seal i + 1; the levels below are recomputed from the seals). Written
 * only by TREE_GROW_FUNCTION, which the sealer and the purge ledger call under the sealers' lock. Signed checkpoints of its root are kept outside the database.
 */
export const SEAL_TREE_TABLE = 'audit_seal_tree';
/** Extends SEAL_TREE_TABLE to every seal; the owner's (the sealer, SECURITY DEFINER, calls it). */
export const TREE_GROW_FUNCTION = 'threadline_tree_grow';
/** Records a purge batch in the ledger and the chain; the owner's, like the purge. */
export const RECORD_PURGE_FUNCTION = 'threadline_record_purge';
/** Transactions one `threadline_seal()` call seals at most (call it again while it reports more pending). */
export const SEAL_BATCH = 5000;
/** The most transactions one `threadline_seal(n)` call accepts as `n`. */
export const SEAL_BATCH_MAX = 100_000;
/**
 * How long a sealer waits for another one before it gives up and says who
 * holds it (seconds). The sealer's lock is a lock on the seals table that
 * the app's role cannot take by itself (it has only SELECT there); it can
 * hold it only by calling `threadline_seal()` in a transaction it leaves
 * open, and then every other sealer reports that session instead of waiting.
 */
export const SEAL_LOCK_TIMEOUT_SECONDS = 10;

/** The seal tables, `threadline_jsonb_sha256`, `threadline_seal` and `threadline_record_purge`. */
export function sealSchemaSql(auditSchema: string): string {
  return installSql(auditSchema, '004-seal-tables', '005-seal-functions');
}

/** Drops what sealSchemaSql creates. */
export function dropSealSchemaSql(auditSchema: string): string {
  return installSql(auditSchema, 'down/003-seal');
}

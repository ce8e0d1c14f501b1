// The audit tables by name: every one the install creates, and those an archive receives.
import { LEGAL_HOLDS_TABLE, PARTITIONING_TABLE, UNPROVEN_ACTIONS_TABLE } from './audit-schema.sql';
import { LEASES_TABLE } from './lease';
import { CHECKPOINTS_TABLE, PURGED_TABLE, SEAL_TREE_TABLE, SEALS_TABLE } from './seal.sql';

/** Every table the install creates in the audit schema (coverage leaves them out of the app's tables). */
export const AUDIT_TABLES = [
  'audit_transactions',
  'audit_changes',
  'audit_actions',
  'audit_capture_pending',
  SEALS_TABLE,
  CHECKPOINTS_TABLE,
  PURGED_TABLE,
  SEAL_TREE_TABLE,
  LEASES_TABLE,
  LEGAL_HOLDS_TABLE,
  PARTITIONING_TABLE,
  UNPROVEN_ACTIONS_TABLE,
] as const;

/**
 * The audit tables an archive receives by logical replication (docs/scale.md, "Archive on a second PostgreSQL"):
 * the log, its actions and its proof (seals, purge ledger, Merkle tree, checkpoints). Not the app database's own
 * state: pending capture, leases, legal holds, the partitioning interval, actions outside the proof.
 */
export const ARCHIVE_PUBLICATION_TABLES = [
  'audit_transactions',
  'audit_changes',
  'audit_actions',
  SEALS_TABLE,
  PURGED_TABLE,
  SEAL_TREE_TABLE,
  CHECKPOINTS_TABLE,
] as const;

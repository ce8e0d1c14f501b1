import { literal, qualified } from './quote';

/** Where the audit tables live when `capture.auditSchema` is not set. */
export const DEFAULT_AUDIT_SCHEMA = 'public';

/**
 * The audit tables' quoted names in the configured audit schema, resolved
 * once. The capture module provides it (from `capture.auditSchema`); services
 * built without the capture module use `AuditTables.DEFAULT`.
 */
export class AuditTables {
  static readonly DEFAULT = new AuditTables(DEFAULT_AUDIT_SCHEMA);

  readonly changes: string;
  readonly transactions: string;
  readonly actions: string;

  constructor(readonly schema: string) {
    this.changes = qualified(schema, 'audit_changes');
    this.transactions = qualified(schema, 'audit_transactions');
    this.actions = qualified(schema, 'audit_actions');
  }

  /**
   * SQL (boolean): whether `audit_changes` is partitioned (capture.partitioning), read from the catalog, so it needs
   * no grant; NULL while the table does not exist. Both audit tables are partitioned, or neither.
   */
  partitionedSql(): string {
    return `(SELECT k.relkind = 'p' FROM pg_catalog.pg_class AS k WHERE k.oid = to_regclass(${literal(this.changes)}))`;
  }

  /** Any other object of the audit schema (a function, the pending-capture table), quoted. */
  named(name: string): string {
    return qualified(this.schema, name);
  }
}

import { AuditTables, literal } from '@threadline/core';
import { SEAL_FUNCTION, SEALS_TABLE } from './seal.sql';

/** A DataSource or a QueryRunner: whatever runs the sealing calls. */
export interface SealRunner {
  query(sql: string): Promise<{ sealed: number; pending: boolean }[]>;
}

/**
 * Seals every audit transaction committed so far: calls `threadline_seal()`
 * (one bounded batch per call) until it reports nothing pending, and returns
 * how many transactions it sealed. Verification, exports and purges all seal
 * first through this.
 */
export async function sealCommitted(runner: SealRunner, tables: AuditTables = AuditTables.DEFAULT): Promise<number> {
  // an archive's seals are its source's, replicated: one made here would take the seq of the next one and stop
  // the subscription (docs/scale.md, "Archive on a second PostgreSQL")
  const [{ archive }] = (await runner.query(`SELECT ${archiveSql(tables)} AS archive`)) as unknown as {
    archive: boolean;
  }[];
  if (archive) return 0;
  let total = 0;
  for (;;) {
    const [row] = await runner.query(`SELECT sealed, pending FROM ${tables.named(SEAL_FUNCTION)}()`);
    total += row.sealed;
    if (!row.pending) return total;
  }
}

/**
 * SQL (boolean): whether this database is an archive of the audit log: its audit_seals are a table of a logical
 * replication subscription (enabled or not), filled by the source. Nothing seals or purges there.
 */
export function archiveSql(tables: AuditTables): string {
  return `EXISTS (SELECT 1 FROM pg_catalog.pg_subscription_rel AS r WHERE r.srrelid = to_regclass(${literal(tables.named(SEALS_TABLE))}))`;
}

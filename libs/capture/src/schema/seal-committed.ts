import { AuditTables } from '@threadline/core';
import { SEAL_FUNCTION } from './seal.sql';

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
  let total = 0;
  for (;;) {
    const [row] = await runner.query(`SELECT sealed, pending FROM ${tables.named(SEAL_FUNCTION)}()`);
    total += row.sealed;
    if (!row.pending) return total;
  }
}

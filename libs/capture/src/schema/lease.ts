import { AuditTables, isoUtc } from '@threadline/core';
import { randomUUID } from 'crypto';
import type { QueryRunner } from 'typeorm';
import { installSql } from './install-sql';

/** The table of maintenance leases: who runs a purge or a table's baseline, until when. */
export const LEASES_TABLE = 'audit_leases';

/**
 * The leases table (sql/006-leases.sql). Leases instead of session advisory
 * locks: a lease is a row, so it holds the same through PgBouncer's
 * transaction pooling (where a session lock lands on whichever server
 * connection ran the statement, is re-granted to anyone else whose statement
 * lands there, and is released only there). A holder killed mid-run frees it
 * at once when its server session is gone (a direct connection), else when
 * it expires. Only the owner (who purges and baselines) may write it.
 */
export function leaseSchemaSql(auditSchema: string): string {
  return installSql(auditSchema, '006-leases');
}

export function dropLeaseSchemaSql(auditSchema: string): string {
  return installSql(auditSchema, 'down/002-leases');
}

/** Who holds a lease others are waiting on, and until when (ISO 8601 UTC). */
export interface LeaseHeld {
  holder: string;
  expiresAt: string;
}

/**
 * One named lease, held for `seconds` at a time and renewed while its work
 * goes on. `acquire` takes it when free, expired or left by a server session
 * that is gone; `renew` extends it and says whether it is still ours;
 * `release` gives it back.
 */
export class Lease {
  readonly holder = `${process.pid}:${randomUUID()}`;
  private readonly table: string;

  constructor(
    private readonly runner: QueryRunner,
    readonly name: string,
    private readonly seconds: number,
    tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.table = tables.named(LEASES_TABLE);
  }

  /** Takes the lease when free, expired, or left by a server session that is gone; else says who holds it until when. */
  async acquire(): Promise<{ acquired: true } | ({ acquired: false } & LeaseHeld)> {
    const { records: taken } = await this.runner.query(
      `INSERT INTO ${this.table} AS l (name, holder, expires_at, backend_pid)
       VALUES ($1, $2, now() + make_interval(secs => $3), pg_backend_pid())
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, backend_pid = EXCLUDED.backend_pid
       WHERE l.expires_at < now() OR NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a WHERE a.pid = l.backend_pid)
       RETURNING holder`,
      [this.name, this.holder, this.seconds],
      true,
    );
    if (taken.length) return { acquired: true };
    const [held] = (await this.runner.query(
      `SELECT holder, ${isoUtc('expires_at')} AS "expiresAt" FROM ${this.table} WHERE name = $1`,
      [this.name],
    )) as LeaseHeld[];
    // released in between: try once more
    return held ? { acquired: false, ...held } : this.acquire();
  }

  /** Extends the lease; false when it expired and someone else took it. */
  async renew(): Promise<boolean> {
    const { records: renewed } = await this.runner.query(
      `UPDATE ${this.table} SET expires_at = now() + make_interval(secs => $3), backend_pid = pg_backend_pid()
       WHERE name = $1 AND holder = $2 RETURNING 1`,
      [this.name, this.holder, this.seconds],
      true,
    );
    return renewed.length > 0;
  }

  async release(): Promise<void> {
    await this.runner.query(`DELETE FROM ${this.table} WHERE name = $1 AND holder = $2`, [this.name, this.holder]);
  }
}

import { Injectable, Optional } from '@nestjs/common';
import {
  chainLinkText,
  CHECKPOINTS_TABLE,
  openBaselineSql,
  SEAL_FUNCTION,
  sealCommitted,
  PURGED_TABLE,
  purgeContentSql,
  sealContentForSql,
  sealHeadSql,
  verifyDigestSql,
  SEAL_FORMAT,
  SEAL_FORMAT_LARGE,
  SEALS_TABLE,
} from '@threadline/capture';
import { AuditTables, isInsufficientPrivilege, isIsoTimestamp, isoUtc } from '@threadline/core';
import { createHash } from 'crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { InvalidKeptHeadError, InvalidVerifyOptionsError, SealBusyError, SealPrivilegeError } from './health.errors';

/** What is wrong with the sealed log, found by recomputing it. */
export interface IntegrityProblem {
  kind: 'altered' | 'deleted' | 'inserted';
  /** The seal's position in the chain, when the problem is at a seal. */
  seq?: number;
  transactionId?: string;
  changeId?: string;
  message: string;
}

export interface IntegrityReport {
  ok: boolean;
  /** Audit transactions sealed by this check before it verified (everything committed before it started). */
  sealedNow: number;
  /** Seals whose transaction and chain link were recomputed. */
  checked: number;
  /** Sealed transactions that retention removed, wholly or in part, as its ledger (or a pre-v5 checkpoint) says. */
  purged: number;
  /**
   * The latest checkpoint a purge before v5 wrote, or null (purges of v5 record what they removed in the
   * sealed purge ledger instead). Every seal is still checked.
   */
  checkpoint: { seq: number; chainSha256: string; reason: string; createdAt: string } | null;
  /** The chain's last seal: keep `chainSha256` outside the database to detect a rewrite of everything before it. */
  head: { seq: number; chainSha256: string; sealedAt: string } | null;
  from: string | null;
  to: string | null;
  /** The head kept from an earlier run that this check started after (`afterHead`), or null for a full check. */
  afterHead: { seq: number; chainSha256: string } | null;
  /** Baselines still being written: sealed once complete, so not checked yet (a baseline left open shows here). */
  openBaselines: { transactionId: string; table: string | null }[];
  /** The first problems found (at most 100), in chain order; `problemCount` counts all. */
  problems: IntegrityProblem[];
  problemCount: number;
  durationMs: number;
}

export interface VerifyIntegrityOptions {
  /** Only seals made at or after this instant (ISO 8601). */
  from?: string;
  /** Only seals made before this instant (ISO 8601). */
  to?: string;
  /**
   * Checks only the seals after this one, the head an earlier run reported and you kept outside the
   * database (`report.head`): the seal must still carry that chain hash, and every later link is
   * recomputed from the kept hash, so a rewrite at or before it is reported too. Not with `from`.
   */
  afterHead?: { seq: number; chainSha256: string };
  /** A head kept outside the database that the chain must still have, checked by a full walk (not with `afterHead`). */
  keptHead?: { seq: number; chainSha256: string };
  /** Called after each batch of seals. */
  onProgress?: (checked: number) => void;
}

/** Reads a head kept as `<seq>:<sha256 hex>` (what `verify-integrity` prints), or throws saying what is allowed. */
export function parseKeptHead(text: string): { seq: number; chainSha256: string } {
  const m = /^#?(\d{1,15})[: ]([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw InvalidKeptHeadError.create(text);
  return { seq: Number(m[1]), chainSha256: m[2].toLowerCase() };
}

const BATCH = 1000;
const MAX_LISTED = 100;
const ZERO = Buffer.alloc(32);

interface SealRow {
  seq: string;
  kind: 'transaction' | 'purge';
  format: number;
  /** Null for a purge seal. */
  transaction_id: string | null;
  change_count: number;
  content_sha256: Buffer;
  chain_sha256: Buffer;
  sealed_at: string;
  present: boolean;
  recomputed: Buffer | null;
  changes_now: number;
  /** Changes of this seal's transaction a purge recorded as removed. */
  purged_changes: number;
  /** A purge recorded this seal's whole transaction as removed. */
  purged_whole: boolean;
}

/**
 * Tamper evidence (README "Trust"): seals committed audit transactions into
 * the hash chain (`threadline_seal()`, in the database) and verifies it by
 * recomputing every sealed transaction's content hash and every chain link.
 * It names the first transaction or change that was altered, inserted or
 * deleted after it was sealed.
 */
@Injectable()
export class IntegrityService {
  private readonly seals: string;
  private readonly checkpoints: string;
  private readonly sealFunction: string;
  private readonly purged: string;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.seals = tables.named(SEALS_TABLE);
    this.checkpoints = tables.named(CHECKPOINTS_TABLE);
    this.sealFunction = tables.named(SEAL_FUNCTION);
    this.purged = tables.named(PURGED_TABLE);
  }

  /** Seals every audit transaction committed so far; returns how many it sealed. */
  async seal(): Promise<number> {
    try {
      return await sealCommitted(this.dataSource, this.tables);
    } catch (error) {
      // the sealer's own message says who holds it and since when
      if ((error as { code?: string }).code === '55P03') throw SealBusyError.from(error);
      if (!isInsufficientPrivilege(error)) throw error;
      throw SealPrivilegeError.create(
        { sealFunction: this.sealFunction, seals: this.seals, checkpoints: this.checkpoints },
        error,
      );
    }
  }

  /** Seals what committed before the call, then recomputes the chain (see IntegrityReport). */
  async verify(options: VerifyIntegrityOptions = {}): Promise<IntegrityReport> {
    const started = Date.now();
    for (const key of ['from', 'to'] as const) {
      const value = options[key];
      if (value !== undefined && (typeof value !== 'string' || !isIsoTimestamp(value)))
        throw InvalidVerifyOptionsError.notATimestamp(key, value);
    }
    const afterHead = options.afterHead
      ? parseKeptHead(`${options.afterHead.seq}:${options.afterHead.chainSha256}`)
      : null;
    if (afterHead && options.from) throw InvalidVerifyOptionsError.afterHeadWithFrom();
    if (afterHead && options.keptHead) throw InvalidVerifyOptionsError.afterHeadWithKeptHead();
    const kept =
      afterHead ?? (options.keptHead ? parseKeptHead(`${options.keptHead.seq}:${options.keptHead.chainSha256}`) : null);
    const sealedNow = await this.seal();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Every function and operator the recomputation calls is PostgreSQL's own: a look-alike in another
      // schema on the session's search_path (convert_to(text, text) in public, say) cannot stand in for it.
      await runner.query(`SET LOCAL search_path = pg_catalog, pg_temp`);
      const [checkpointRow] = await runner.query(
        `SELECT k.seq::text AS seq, encode(k.chain_sha256, 'hex') AS chain, k.reason, ${isoUtc('k.created_at')} AS created_at
         FROM ${this.checkpoints} AS k ORDER BY k.seq DESC LIMIT 1`,
      );
      const checkpoint = checkpointRow
        ? {
            seq: Number(checkpointRow.seq),
            chainSha256: checkpointRow.chain as string,
            reason: checkpointRow.reason as string,
            createdAt: checkpointRow.created_at as string,
          }
        : null;
      const problems: IntegrityProblem[] = [];
      let problemCount = 0;
      const report = (problem: IntegrityProblem) => {
        problemCount++;
        if (problems.length < MAX_LISTED) problems.push(problem);
      };

      // Every seal is checked, from the first (or the first made at or after `from`). What a purge removed
      // is excused only as its ledger recorded it (audit_purged, itself sealed); a checkpoint of a v4 purge
      // excuses only what such a purge can have done to seals made before v5, at or before it.
      const purgedThrough = checkpoint?.seq ?? 0;
      let purged = 0;
      let after = 0;
      let previous: Buffer = ZERO;
      if (options.from) {
        const [first] = await runner.query(
          `SELECT min(s.seq)::text AS seq FROM ${this.seals} AS s WHERE s.sealed_at >= $1::timestamptz`,
          [options.from],
        );
        if (first?.seq && Number(first.seq) - 1 > after) {
          after = Number(first.seq) - 1;
          const [link] = await runner.query(`SELECT s.chain_sha256 FROM ${this.seals} AS s WHERE s.seq = $1`, [after]);
          if (link) previous = link.chain_sha256;
          else
            report({
              kind: 'deleted',
              seq: after,
              message: `seal #${after} (the link before --from) was deleted`,
            });
        }
      }

      if (kept) {
        const found: { chain: string }[] = await runner.query(
          `SELECT encode(s.chain_sha256, 'hex') AS chain FROM ${this.seals} AS s WHERE s.seq = $1`,
          [kept.seq],
        );
        if (found.length === 0)
          report({
            kind: 'deleted',
            seq: kept.seq,
            message: `seal #${kept.seq}, the head you kept, is not in the chain: seals were deleted, or the head comes from another database`,
          });
        else if (found.length > 1)
          report({
            kind: 'inserted',
            seq: kept.seq,
            message: `seal #${kept.seq}, the head you kept, appears ${found.length} times: seals were inserted`,
          });
        else if (found[0].chain !== kept.chainSha256)
          report({
            kind: 'altered',
            seq: kept.seq,
            message: `seal #${kept.seq} no longer has the chain hash you kept (${kept.chainSha256}, now ${found[0].chain}): the chain was rewritten at or before it`,
          });
      }
      // From a kept head: the walk starts at the head itself, linked from the seal before it as stored, so its
      // content and link are recomputed too (its chain hash was compared with the kept one above).
      if (afterHead && afterHead.seq > 1) {
        after = afterHead.seq - 1;
        const [link] = await runner.query(`SELECT s.chain_sha256 FROM ${this.seals} AS s WHERE s.seq = $1`, [after]);
        if (link) previous = link.chain_sha256;
        else
          report({
            kind: 'deleted',
            seq: after,
            message: `seal #${after} (the link before the kept head) was deleted`,
          });
      }

      let checked = 0;
      let expected = after + 1;
      for (;;) {
        const rows: SealRow[] = await runner.query(
          `SELECT s.seq::text AS seq, s.kind, s.format, s.transaction_id, s.change_count, s.content_sha256, s.chain_sha256,
                  ${isoUtc('s.sealed_at')} AS sealed_at, t.id IS NOT NULL AS present,
                  CASE WHEN s.kind = 'purge' THEN ${purgeContentSql(this.tables.schema, 's.seq')}
                       WHEN t.id IS NOT NULL THEN ${sealContentForSql(this.tables.schema, 's', 't', 'd')} END AS recomputed,
                  d.changes AS changes_now, d.purged_changes,
                  EXISTS (SELECT 1 FROM ${this.purged} AS p WHERE p.seal_seq = s.seq AND p.change_id IS NULL) AS purged_whole
           FROM ${this.seals} AS s LEFT JOIN ${this.tables.transactions} AS t ON t.id = s.transaction_id
             CROSS JOIN LATERAL ${verifyDigestSql(this.tables.schema, 's.transaction_id', 's.seq', 's.format')} AS d
           WHERE s.seq > $1 AND ($2::timestamptz IS NULL OR s.sealed_at < $2::timestamptz)
           ORDER BY s.seq LIMIT ${BATCH}`,
          [after, options.to ?? null],
        );
        for (const row of rows) {
          const seq = Number(row.seq);
          const what = row.kind === 'purge' ? 'purge record' : `transaction ${row.transaction_id}`;
          if (seq < expected) {
            report({
              kind: 'inserted',
              seq,
              message: `seal #${seq} appears more than once: seals were inserted`,
            });
          } else if (seq !== expected) {
            report({
              kind: 'deleted',
              seq: expected,
              message: `seal${seq - expected > 1 ? `s #${expected} to #${seq - 1} were` : ` #${expected} was`} deleted from the chain`,
            });
          } else {
            const link = createHash('sha256')
              .update(previous)
              .update(chainLinkText(seq, row.transaction_id, row.format, row.change_count))
              .update(row.content_sha256)
              .digest();
            if (!link.equals(row.chain_sha256))
              report({
                kind: 'altered',
                seq,
                transactionId: row.transaction_id ?? undefined,
                message: `seal #${seq} (${what}) was altered: its chain link does not match`,
              });
          }
          if (seq === purgedThrough && checkpoint && checkpoint.chainSha256 !== row.chain_sha256.toString('hex'))
            report({
              kind: 'altered',
              seq,
              message: `the retention checkpoint at seal #${seq} does not match the seal's chain hash: the checkpoint or the seal was altered`,
            });
          if (![1, SEAL_FORMAT, SEAL_FORMAT_LARGE].includes(row.format))
            report({
              kind: 'altered',
              seq,
              transactionId: row.transaction_id ?? undefined,
              message: `seal #${seq} has format ${row.format}, which no sealer writes: the seal was altered`,
            });
          // a v4 purge's checkpoint excuses only seals made before v5, at or before it
          const legacy = row.format === 1 && seq <= purgedThrough;
          if (row.kind === 'purge') {
            if (!row.recomputed?.equals(row.content_sha256))
              report({
                kind: 'altered',
                seq,
                message: `purge record #${seq} was altered: its rows in ${this.purged} differ from what was sealed`,
              });
          } else if (!row.present) {
            if (row.purged_whole || legacy) purged++;
            else
              report({
                kind: 'deleted',
                seq,
                transactionId: row.transaction_id!,
                message: `transaction ${row.transaction_id} (seal #${seq}) was deleted after sealing`,
              });
          } else if (!row.recomputed?.equals(row.content_sha256)) {
            const delta = row.changes_now + row.purged_changes - row.change_count;
            const counts = `${row.change_count} sealed, ${row.changes_now} now${row.purged_changes ? `, ${row.purged_changes} purged` : ''}`;
            // a seal made before v5 hashed its changes as one text: what a purge removed cannot be put back
            if (row.format === 1 && (legacy || row.purged_changes > 0) && row.changes_now < row.change_count) purged++;
            else
              report({
                kind: delta > 0 ? 'inserted' : delta < 0 ? 'deleted' : 'altered',
                seq,
                transactionId: row.transaction_id!,
                message:
                  delta > 0
                    ? `transaction ${row.transaction_id} (seal #${seq}): ${delta} change(s) inserted after sealing (${counts})`
                    : delta < 0
                      ? `transaction ${row.transaction_id} (seal #${seq}): ${-delta} change(s) deleted after sealing (${counts})`
                      : `transaction ${row.transaction_id} (seal #${seq}) was altered after sealing: a change, the transaction row or one of its actions differs from what was sealed`,
              });
          } else if (row.purged_changes > 0) purged++;
          previous = row.chain_sha256;
          expected = Math.max(expected, seq + 1);
          after = seq;
          checked++;
        }
        options.onProgress?.(checked);
        if (rows.length < BATCH) break;
      }
      if (checkpoint && purgedThrough >= expected && !options.to)
        report({
          kind: 'deleted',
          seq: purgedThrough,
          message: `the retention checkpoint names seal #${purgedThrough}, past the chain's last seal #${expected - 1}: seals were deleted, or the checkpoint was made by hand`,
        });

      for (const problem of await this.strays(runner)) report(problem);
      const openBaselines: { id: string; table: string | null }[] = await runner.query(
        `SELECT t.id, t.meta ->> 'table' AS table FROM ${this.tables.transactions} AS t
         WHERE ${openBaselineSql()} ORDER BY t.occurred_at LIMIT ${MAX_LISTED}`,
      );

      const [headRow] = await runner.query(sealHeadSql(this.tables.schema));
      await runner.query('COMMIT');
      return {
        ok: problemCount === 0,
        sealedNow,
        checked,
        purged,
        checkpoint,
        head: headRow ? { seq: Number(headRow.seq), chainSha256: headRow.chain, sealedAt: headRow.sealed_at } : null,
        from: options.from ?? null,
        to: options.to ?? null,
        afterHead,
        openBaselines: openBaselines.map((b) => ({ transactionId: b.id, table: b.table })),
        problems,
        problemCount,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Rows no seal accounts for, each kind found by one query (at most MAX_LISTED each), in this order:
   * ledger rows naming a change still there or no purge seal, transactions the sealer passed or never
   * reaches, changes and actions of no transaction, actions added to a transaction that records none.
   */
  private async strays(runner: QueryRunner): Promise<IntegrityProblem[]> {
    const { seals, purged } = this;
    const { transactions, changes, actions } = this.tables;
    const checks: { sql: string; problem: (row: Record<string, string | null>) => IntegrityProblem }[] = [
      {
        // a purge removes what it records
        sql: `SELECT p.change_id::text, p.purge_seq::text FROM ${purged} AS p
              WHERE p.change_id IS NOT NULL AND EXISTS (SELECT 1 FROM ${changes} AS c WHERE c.id = p.change_id)
              ORDER BY p.change_id`,
        problem: (r) => ({
          kind: 'inserted',
          seq: Number(r.purge_seq),
          changeId: r.change_id!,
          message: `purge #${r.purge_seq} records change ${r.change_id} as removed, but it is there: the ledger was written by hand`,
        }),
      },
      {
        // written by hand, to excuse a deletion
        sql: `SELECT DISTINCT p.purge_seq::text AS purge_seq FROM ${purged} AS p
              WHERE NOT EXISTS (SELECT 1 FROM ${seals} AS s WHERE s.seq = p.purge_seq AND s.kind = 'purge')
              ORDER BY 1`,
        problem: (r) => ({
          kind: 'inserted',
          seq: Number(r.purge_seq),
          message: `${purged} has rows under purge #${r.purge_seq}, which is no purge seal: written by hand, or the purge's seal deleted`,
        }),
      },
      {
        // passed by the sealer (inserted after sealing), or with a txid the server has not handed out yet
        // (the sealer never reaches those: only a forger writes them)
        sql: `SELECT t.id FROM ${transactions} AS t
              WHERE (t.txid < coalesce((SELECT s.horizon FROM ${seals} AS s ORDER BY s.seq DESC LIMIT 1), 0)
                     OR t.txid >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
                AND NOT EXISTS (SELECT 1 FROM ${seals} AS s WHERE s.transaction_id = t.id)
                AND NOT ${openBaselineSql()}
              ORDER BY t.occurred_at, t.id`,
        problem: (r) => ({
          kind: 'inserted',
          transactionId: r.id!,
          message: `transaction ${r.id} has no seal though the sealer has passed it: inserted after sealing, or its seal deleted`,
        }),
      },
      {
        sql: `SELECT c.id::text, c.transaction_id FROM ${changes} AS c
              WHERE NOT EXISTS (SELECT 1 FROM ${transactions} AS t WHERE t.id = c.transaction_id)
              ORDER BY c.id`,
        problem: (r) => ({
          kind: 'inserted',
          changeId: r.id!,
          transactionId: r.transaction_id!,
          message: `change ${r.id} belongs to no audit transaction (${r.transaction_id}): inserted, or its transaction deleted`,
        }),
      },
      {
        // every recorded action sets its transaction's action_id (part of the sealed row), and the seal skips
        // the actions of a transaction without one
        sql: `SELECT a.id::text, a.transaction_id, s.seq::text AS seq FROM ${actions} AS a
              JOIN ${transactions} AS t ON t.id = a.transaction_id AND t.action_id IS NULL
              LEFT JOIN ${seals} AS s ON s.transaction_id = t.id
              ORDER BY a.inserted_at, a.id`,
        problem: (r) => ({
          kind: 'inserted',
          seq: r.seq === null ? undefined : Number(r.seq),
          transactionId: r.transaction_id!,
          message: `action ${r.id} was added to transaction ${r.transaction_id}${r.seq === null ? '' : ` (seal #${r.seq})`}, which records no action`,
        }),
      },
      {
        // actions of v5 name their transaction (unless a purge recorded removing it whole); those recorded
        // before v5 name none and are not covered (docs/trust.md)
        sql: `SELECT a.id::text, a.transaction_id FROM ${actions} AS a
              WHERE a.transaction_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM ${transactions} AS t WHERE t.id = a.transaction_id)
                AND NOT EXISTS (SELECT 1 FROM ${seals} AS s JOIN ${purged} AS p ON p.seal_seq = s.seq AND p.change_id IS NULL
                                WHERE s.transaction_id = a.transaction_id)
              ORDER BY a.inserted_at, a.id`,
        problem: (r) => ({
          kind: 'inserted',
          transactionId: r.transaction_id!,
          message: `action ${r.id} belongs to no audit transaction (${r.transaction_id}): inserted, or its transaction deleted`,
        }),
      },
    ];
    const problems: IntegrityProblem[] = [];
    for (const check of checks) {
      const rows: Record<string, string | null>[] = await runner.query(`${check.sql} LIMIT ${MAX_LISTED}`);
      problems.push(...rows.map(check.problem));
    }
    return problems;
  }
}

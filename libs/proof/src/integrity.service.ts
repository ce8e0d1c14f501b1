import { Injectable, Optional } from '@nestjs/common';
import {
  CHECKPOINTS_TABLE,
  archiveSql,
  openBaselineSql,
  SEAL_FUNCTION,
  sealCommitted,
  PURGED_TABLE,
  sealHeadSql,
  SEALS_TABLE,
} from '@threadline/capture';
import { AuditTables, isInsufficientPrivilege, isIsoTimestamp, isoUtc } from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { ChainWalk, SealRow, sealRowsSql } from './chain-walk';
import { CheckpointCheck } from './checkpoint-check';
import { SealTree } from './seal-tree';
import { InvalidVerifyOptionsError, SealBusyError, SealPrivilegeError } from './proof.errors';
import { strayChecks } from './integrity-strays';
import { IntegrityFindings, integrityProblems } from './integrity.problems';
import { IntegrityReport, parseKeptHead, VerifyIntegrityOptions } from './integrity.types';

export * from './integrity.types';

const BATCH = 1000;
const MAX_LISTED = 100;
const ZERO = Buffer.alloc(32);

type KeptHead = { seq: number; chainSha256: string };
type Checkpoint = IntegrityReport['checkpoint'];

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
  private sealFailing: { message: string; since: string } | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.seals = tables.named(SEALS_TABLE);
    this.checkpoints = tables.named(CHECKPOINTS_TABLE);
    this.sealFunction = tables.named(SEAL_FUNCTION);
    this.purged = tables.named(PURGED_TABLE);
  }

  /**
   * Whether this database is an archive: its audit_seals are a table of a logical replication subscription, filled
   * by the source, so nothing may seal here (a seal made here would collide with the next one replicated).
   */
  async isArchive(): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT ${archiveSql(this.tables)} AS archive`);
    return row.archive === true;
  }

  /** Seals every audit transaction committed so far; returns how many it sealed (none on an archive). */
  async seal(): Promise<number> {
    try {
      // on an archive sealCommitted seals nothing
      const sealed = await sealCommitted(this.dataSource, this.tables);
      this.sealFailing = null;
      return sealed;
    } catch (error) {
      const named = this.sealError(error);
      this.sealFailing ??= { message: named.message, since: new Date().toISOString() };
      this.sealFailing.message = named.message;
      throw named;
    }
  }

  /**
   * Whether the last sealing through this service (the background sealer, a verification, a
   * checkpoint, a proof) failed, since when and why; null once one succeeds. Health turns red
   * on it: a sealer held off by another session leaves every commit since unsealed.
   */
  sealingStatus(): { failing: { message: string; since: string } | null } {
    return { failing: this.sealFailing && { ...this.sealFailing } };
  }

  private sealError(error: unknown): Error {
    // the sealer's own message says who holds it and since when
    if ((error as { code?: string }).code === '55P03') return SealBusyError.from(error);
    if (!isInsufficientPrivilege(error)) return error instanceof Error ? error : new Error(String(error));
    return SealPrivilegeError.create(
      { sealFunction: this.sealFunction, seals: this.seals, checkpoints: this.checkpoints },
      error,
    );
  }

  /** Seals what committed before the call, then recomputes the chain (see IntegrityReport). */
  async verify(options: VerifyIntegrityOptions = {}): Promise<IntegrityReport> {
    const started = Date.now();
    const { afterHead, kept } = verifyOptions(options);
    const archive = options.archive ?? (await this.isArchive());
    const sealedNow = archive ? 0 : await this.seal();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Every function and operator the recomputation calls is PostgreSQL's own: a look-alike in another
      // schema on the session's search_path (convert_to(text, text) in public, say) cannot stand in for it.
      await runner.query(`SET LOCAL search_path = pg_catalog, pg_temp`);
      const checkpoint = await this.checkpoint(runner);
      const findings = new IntegrityFindings(MAX_LISTED);
      const start = await this.start(runner, findings, options, kept, afterHead);
      const walk = new ChainWalk(findings, checkpoint, this.purged, start, archive);
      const againstKept = options.checkpoints ? new CheckpointCheck(findings, options.checkpoints) : null;
      const tree = new SealTree(runner, this.tables);
      for (;;) {
        const rows: SealRow[] = await runner.query(sealRowsSql(this.tables, this.seals, this.purged, BATCH, archive), [
          walk.after,
          options.to ?? null,
        ]);
        for (const row of rows) {
          walk.visit(row);
          againstKept?.visit(row);
        }
        await againstKept?.flush(tree);
        options.onProgress?.(walk.checked);
        if (rows.length < BATCH) break;
      }
      walk.finish(!!options.to);
      await againstKept?.finish(tree);
      for (const check of strayChecks(this.tables, this.seals, this.purged, archive)) {
        const rows: Record<string, string | null>[] = await runner.query(`${check.sql} LIMIT ${MAX_LISTED}`);
        for (const row of rows) findings.report(check.problem(row));
      }
      const openBaselines: { id: string; table: string | null }[] = await runner.query(
        `SELECT t.id, t.meta ->> 'table' AS table FROM ${this.tables.transactions} AS t
         WHERE ${openBaselineSql()} ORDER BY t.occurred_at LIMIT ${MAX_LISTED}`,
      );
      const [headRow] = await runner.query(sealHeadSql(this.tables.schema));
      await runner.query('COMMIT');
      return {
        ok: findings.count === 0,
        sealedNow,
        checked: walk.checked,
        purged: walk.purged,
        checkpoint,
        head: headRow ? { seq: Number(headRow.seq), chainSha256: headRow.chain, sealedAt: headRow.sealed_at } : null,
        from: options.from ?? null,
        to: options.to ?? null,
        afterHead,
        checkpointsChecked: options.checkpoints?.length ?? 0,
        openBaselines: openBaselines.map((b) => ({ transactionId: b.id, table: b.table })),
        problems: findings.problems,
        problemCount: findings.count,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** The latest checkpoint a purge before v5 wrote, or null. */
  private async checkpoint(runner: QueryRunner): Promise<Checkpoint> {
    const [row] = await runner.query(
      `SELECT k.seq::text AS seq, encode(k.chain_sha256, 'hex') AS chain, k.reason, ${isoUtc('k.created_at')} AS created_at
         FROM ${this.checkpoints} AS k ORDER BY k.seq DESC LIMIT 1`,
    );
    return row
      ? { seq: Number(row.seq), chainSha256: row.chain as string, reason: row.reason, createdAt: row.created_at }
      : null;
  }

  /**
   * Where the walk starts: after the first seal, the seal before the first made at or after `from`, or the seal
   * before a kept head (whose content and link are then recomputed too; its chain hash is compared with the kept
   * one here, as a `keptHead`'s is before a full walk).
   */
  private async start(
    runner: QueryRunner,
    findings: IntegrityFindings,
    options: VerifyIntegrityOptions,
    kept: KeptHead | null,
    afterHead: KeptHead | null,
  ): Promise<{ after: number; previous: Buffer }> {
    let after = 0;
    let previous: Buffer = ZERO;
    const linkBefore = async (seq: number) =>
      (await runner.query(`SELECT s.chain_sha256 FROM ${this.seals} AS s WHERE s.seq = $1`, [seq]))[0]?.chain_sha256 as
        Buffer | undefined;
    if (options.from) {
      const [first] = await runner.query(
        `SELECT min(s.seq)::text AS seq FROM ${this.seals} AS s WHERE s.sealed_at >= $1::timestamptz`,
        [options.from],
      );
      if (first?.seq && Number(first.seq) - 1 > after) {
        after = Number(first.seq) - 1;
        const link = await linkBefore(after);
        if (link) previous = link;
        else findings.report(integrityProblems.linkBeforeFromDeleted(after));
      }
    }
    if (kept) await this.checkKeptHead(runner, findings, kept);
    if (afterHead && afterHead.seq > 1) {
      after = afterHead.seq - 1;
      const link = await linkBefore(after);
      if (link) previous = link;
      else findings.report(integrityProblems.linkBeforeKeptHeadDeleted(after));
    }
    return { after, previous };
  }

  /** The kept head must still be in the chain, once, with the hash that was kept. */
  private async checkKeptHead(runner: QueryRunner, findings: IntegrityFindings, kept: KeptHead): Promise<void> {
    const found: { chain: string }[] = await runner.query(
      `SELECT encode(s.chain_sha256, 'hex') AS chain FROM ${this.seals} AS s WHERE s.seq = $1`,
      [kept.seq],
    );
    if (found.length === 0) findings.report(integrityProblems.keptHeadMissing(kept.seq));
    else if (found.length > 1) findings.report(integrityProblems.keptHeadRepeated(kept.seq, found.length));
    else if (found[0].chain !== kept.chainSha256)
      findings.report(integrityProblems.keptHeadRewritten(kept.seq, kept.chainSha256, found[0].chain));
  }
}

/** Checks verify's options; returns the head to start after (`afterHead`) and the head the chain must keep. */
function verifyOptions(options: VerifyIntegrityOptions): { afterHead: KeptHead | null; kept: KeptHead | null } {
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
  if (options.checkpoints && (options.from || options.to || afterHead))
    throw InvalidVerifyOptionsError.checkpointsNeedWholeChain();
  const kept =
    afterHead ?? (options.keptHead ? parseKeptHead(`${options.keptHead.seq}:${options.keptHead.chainSha256}`) : null);
  return { afterHead, kept };
}

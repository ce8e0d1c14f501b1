import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import {
  Lease,
  LEASES_TABLE,
  LEGAL_HOLDS_TABLE,
  PURGE_PARTITION_FUNCTION,
  RECORD_PURGE_FUNCTION,
  sealCommitted,
} from '@threadline/capture';
import {
  AuditTables,
  errorType,
  InvalidOptionsError,
  inSpan,
  isInsufficientPrivilege,
  logLine,
  THREADLINE_SPANS,
} from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { InvalidPurgeLimitError, PurgeLeaseLostError, PurgePrivilegeError } from './retention.errors';
import { batchDone, purgeBusy, purgeDone, tablesNotInDatabase } from './retention.messages';
import { purgeRefusal } from './purge-refusal';
import { RetentionPolicy } from './retention.options';
import { dryRunSummary } from './purge-dry-run';
import { purgeBatch } from './purge-batch';
import { hasEligible, WindowGroup, windowGroups } from './purge-windows';
import { HoldInForce, holdsInForce, holdsKept } from './legal-holds';
import { purgeAttributes, purged } from './purge-telemetry';
import { PurgeOptions, PurgeProgress, PurgeResult, PurgeSummary } from './purge.types';
import { batchCommitted, purgeRanges } from './purge-ranges';

/** How long a purge's lease lasts unless renewed: it is renewed before every batch; a purge killed mid-run blocks others this long at most. */
const LEASE_SECONDS = 300;

/**
 * Deletes audit changes older than the retention window, in batches, each
 * batch its own short transaction that also removes the transactions it left
 * empty: a purge stopped at any point leaves every remaining change with its
 * transaction, and the next run finishes the job.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);
  private readonly changes: string;
  private readonly transactions: string;
  private readonly tables: AuditTables;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(THREADLINE_RETENTION_POLICY) private readonly policy: RetentionPolicy | null,
    @Optional() tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.changes = tables.changes;
    this.transactions = tables.transactions;
    this.tables = tables;
  }

  /** Per-table windows must name real tables; checked once the audit schema exists. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.policy?.tables.length) return;
    const [{ installed }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS installed`, [
      this.changes,
    ]);
    if (!installed) return;
    const rows: { name: string; exists: boolean }[] = await this.dataSource.query(
      `SELECT s || '.' || t AS name, to_regclass(format('%I.%I', s, t)) IS NOT NULL AS exists FROM unnest($1::text[], $2::text[]) AS x(s, t)`,
      [this.policy.tables.map((t) => t.schema), this.policy.tables.map((t) => t.table)],
    );
    const missing = rows.filter((r) => !r.exists).map((r) => r.name);
    if (missing.length) {
      throw InvalidOptionsError.of([tablesNotInDatabase(missing)]);
    }
  }

  /** Lets a running purge stop after its current batch (application shutdown). */
  requestStop(): void {
    this.stopping = true;
  }

  /** A purge (or its dry run) in its span; a purge's outcome is published on `threadline:retention:purged`. */
  purge(options: PurgeOptions = {}): Promise<PurgeResult> {
    const started = Date.now();
    const dryRun = Boolean(options.dryRun);
    // what the batches committed so far: a purge that fails after some (lease lost, a later batch's error) says so
    let progress: PurgeProgress = { batch: 0, deletedChanges: 0, deletedTransactions: 0 };
    const tracked: PurgeOptions = {
      ...options,
      onBatch: (p) => {
        progress = p;
        options.onBatch?.(p);
      },
    };
    return inSpan(THREADLINE_SPANS.purge.name, { 'threadline.retention.dry_run': dryRun }, async (span) => {
      try {
        const result = await this.purgeOnce(tracked);
        span.setAttributes(purgeAttributes(result));
        if (!dryRun) purged(result, started);
        return result;
      } catch (error) {
        const failed = { status: 'error', errorType: errorType(error), ...progress } as const;
        span.setAttributes(purgeAttributes(failed));
        if (!dryRun) purged(failed, started);
        throw error;
      }
    });
  }

  private async purgeOnce(options: PurgeOptions): Promise<PurgeResult> {
    const refused = await purgeRefusal(this.dataSource, this.tables, this.policy, options);
    if (refused) return refused;
    const policy = this.policy as RetentionPolicy; // purgeRefusal refuses when there is none
    const batchSize = positive('batchSize', options.batchSize ?? policy.batchSize);
    const maxBatches = positive('maxBatches', options.maxBatches ?? policy.maxBatches);
    const started = Date.now();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const groups = await windowGroups(runner, policy, options.cutoff);
      const holds = await holdsInForce(runner, this.tables);
      if (options.dryRun)
        return await dryRunSummary(runner, this.tables, groups, holds, batchSize, maxBatches, policy, started);
      const lease = new Lease(runner, 'retention purge', LEASE_SECONDS, this.tables);
      try {
        const held = await lease.acquire();
        if (!held.acquired)
          return {
            status: 'busy',
            reason: purgeBusy(held.holder, held.expiresAt),
          };
        try {
          return await this.run(runner, groups, holds, batchSize, maxBatches, policy, options, started, lease);
        } finally {
          await lease.release();
        }
      } catch (error) {
        if (!isInsufficientPrivilege(error)) throw error;
        throw PurgePrivilegeError.create(
          {
            changes: this.changes,
            transactions: this.transactions,
            actions: this.tables.actions,
            leases: this.tables.named(LEASES_TABLE),
            recordPurge: this.tables.named(RECORD_PURGE_FUNCTION),
            holds: this.tables.named(LEGAL_HOLDS_TABLE),
            purgePartition: this.tables.named(PURGE_PARTITION_FUNCTION),
          },
          error,
        );
      }
    } finally {
      await runner.release();
    }
  }

  private async run(
    runner: QueryRunner,
    groups: WindowGroup[],
    holds: HoldInForce[],
    batchSize: number,
    maxBatches: number,
    policy: RetentionPolicy,
    options: PurgeOptions,
    started: number,
    lease: Lease,
  ): Promise<PurgeSummary> {
    const progress: PurgeProgress = { batch: 0, deletedChanges: 0, deletedTransactions: 0 };
    let reachedMax = false;
    // every hold in force at some point of the run: at its start or in any batch (each batch reads them anew)
    const applied = new Map(holds.map((h) => [h.id, h]));
    // Seal what has committed first, so each batch records in the purge ledger what it removes from sealed transactions.
    await sealCommitted(runner, this.tables);
    const { done: partitions, busy } = await purgeRanges(
      { runner, tables: this.tables, logger: this.logger, stopping: () => this.stopping, lease },
      { groups, policy, maxBatches, progress, applied, onBatch: options.onBatch },
    );
    for (const group of groups) {
      // Each batch goes on from the last id the previous one deleted: starting again from the lowest id would walk
      // past every row the group keeps (other tables' rows, for a table's own window) once per batch.
      let after: string | undefined;
      while (!this.stopping) {
        if (progress.batch >= maxBatches) {
          reachedMax = await hasEligible(runner, this.tables, group, await holdsInForce(runner, this.tables));
          break;
        }
        if (!(await lease.renew())) throw PurgeLeaseLostError.create(progress.batch);
        const batchStarted = Date.now();
        const { changes, transactions, lastId, ...batch } = await purgeBatch(
          runner,
          this.tables,
          group,
          batchSize,
          policy,
          after,
          busy,
        );
        for (const h of batch.holds) applied.set(h.id, h);
        if (changes === 0) break;
        batchCommitted(progress, changes, transactions, batchStarted);
        after = lastId;
        logLine(this.logger, 'log', 'retention:batch', batchDone(progress.batch), {
          batch: progress.batch,
          deleted_changes: progress.deletedChanges,
          deleted_transactions: progress.deletedTransactions,
        });
        options.onBatch?.({ ...progress });
        if (changes < batchSize) break;
      }
      if (reachedMax) break;
    }
    const summary: PurgeSummary = {
      status: 'completed',
      dryRun: false,
      ...progress,
      batchesRun: progress.batch,
      maxBatches,
      maxBatchesReached: reachedMax,
      cutoff: groups[0].cutoff,
      holds: holdsKept(applied),
      partitions,
      busyPartitions: busy,
      durationMs: Date.now() - started,
    };
    logLine(this.logger, 'log', 'retention:purged', purgeDone(reachedMax), {
      deleted_changes: summary.deletedChanges,
      deleted_transactions: summary.deletedTransactions,
      batches: summary.batchesRun,
      max_batches: maxBatches,
      max_batches_reached: reachedMax,
      partitions: partitions.length,
      legal_holds: summary.holds.map((h) => h.id).join(','),
      duration_ms: summary.durationMs,
    });
    return summary;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw InvalidPurgeLimitError.create(name, value);
  return value;
}

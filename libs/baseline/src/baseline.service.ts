import { Inject, Injectable } from '@nestjs/common';
import {
  BASELINE_SOURCE,
  CaptureService,
  Lease,
  LEASES_TABLE,
  parseTableName,
  ResolvedCaptureOptions,
  SnapshotSql,
  tableOptionsFor,
  THREADLINE_CAPTURE_OPTIONS,
} from '@threadline/capture';
import {
  AuditTables,
  BaselineBatchEvent,
  inSpan,
  isInsufficientPrivilege,
  publish,
  THREADLINE_SPANS,
} from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { CoverageService, RedactionPolicyService, tableKey } from '@threadline/health';
import { BaselineOptions, BaselineResult } from './baseline.types';
import { writeSnapshotBatch } from './snapshot-batch';
import { BaselinePrivilegeError, InvalidBaselineOptionsError, TableNotReadyForBaselineError } from './baseline.errors';

/** A baseline's lease on its table, renewed every batch: a baseline killed mid-run blocks the table's next one this long at most. */
const BASELINE_LEASE_SECONDS = 300;

/** The actor every baseline transaction carries. */
export const BASELINE_ACTOR = { type: 'system', id: 'threadline-baseline' } as const;

interface OpenBaseline {
  id: string;
  meta: { cursor?: Record<string, unknown> | null; snapshots?: number };
}

/**
 * Baseline snapshots: one `snapshot` change per existing row that has no
 * history yet, so history() and asOf() answer for rows that predate capture
 * from the baseline instant on. All of a table's snapshots belong to one
 * audit transaction (source 'threadline:baseline', system actor), written in
 * short batches that walk the primary key; the cursor is saved with each
 * batch, so an interrupted run resumes without writing a row twice.
 */
@Injectable()
export class BaselineService {
  private readonly transactions: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly capture: CaptureService,
    private readonly coverage: CoverageService,
    private readonly redaction: RedactionPolicyService,
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly options: ResolvedCaptureOptions,
    private readonly tables: AuditTables,
  ) {
    this.transactions = tables.transactions;
  }

  /** A table's baseline in its span; each batch is published on `threadline:baseline:batch`. */
  baseline(name: string, options: BaselineOptions = {}): Promise<BaselineResult> {
    // what the batches committed so far: a baseline that fails after some says so
    let progress = { written: 0, batches: 0 };
    const tracked: BaselineOptions = {
      ...options,
      onBatch: (p) => {
        progress = { written: p.written, batches: p.batch };
        options.onBatch?.(p);
      },
    };
    return inSpan(THREADLINE_SPANS.baseline.name, {}, async (span) => {
      const result = await this.baselineOnce(name, tracked).catch((error: unknown) => {
        span.setAttributes({
          'threadline.baseline.written': progress.written,
          'threadline.baseline.batches': progress.batches,
        });
        throw error;
      });
      span.setAttributes({
        'db.collection.name': result.table,
        'threadline.baseline.status': result.status,
        'threadline.baseline.written': result.written,
        'threadline.baseline.batches': result.batches,
      });
      return result;
    });
  }

  private async baselineOnce(name: string, options: BaselineOptions): Promise<BaselineResult> {
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
      throw InvalidBaselineOptionsError.batchSize(options.batchSize);
    }
    if (options.maxBatches !== undefined && (!Number.isInteger(options.maxBatches) || options.maxBatches < 1)) {
      throw InvalidBaselineOptionsError.maxBatches(options.maxBatches);
    }
    const ref = parseTableName(name);
    const table = tableKey(ref);
    await this.checkCaptured(ref);
    const sql = await this.capture.snapshotSql(table);
    const open = await this.openBaseline(table);
    const [{ n }] = await this.dataSource.query(sql.remaining);
    const result: BaselineResult = {
      table,
      status: 'dry_run',
      transactionId: open?.id ?? null,
      resumed: Boolean(open),
      rowsWithoutHistory: Number(n),
      written: 0,
      snapshots: Number(open?.meta.snapshots ?? 0),
      batches: 0,
      batchSize,
    };
    if (!options.execute) return result;
    if (!open && result.rowsWithoutHistory === 0) return { ...result, status: 'nothing_to_do' };

    try {
      return await this.write(table, sql, result, batchSize, options);
    } catch (error) {
      if (!isInsufficientPrivilege(error)) throw error;
      throw BaselinePrivilegeError.create(
        table,
        { changes: this.tables.changes, transactions: this.transactions, leases: this.tables.named(LEASES_TABLE) },
        error,
      );
    }
  }

  /** The writing part of a baseline, under the table's baseline lease. */
  private async write(
    table: string,
    sql: SnapshotSql,
    result: BaselineResult,
    batchSize: number,
    options: BaselineOptions,
  ): Promise<BaselineResult> {
    // Two baselines of one table would race on the cursor: one lease per table, renewed every batch (a row,
    // so it holds through PgBouncer's transaction pooling and expires if this process dies).
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const lease = new Lease(runner, `baseline ${table}`, BASELINE_LEASE_SECONDS, this.tables);
      if (!(await lease.acquire()).acquired) return { ...result, status: 'busy' };
      try {
        // Read again under the lease: a run that just finished may have closed it.
        const baseline =
          (await this.openBaseline(table, runner)) ?? (await this.createBaseline(table, runner, batchSize));
        result.transactionId = baseline.id;
        let cursor = baseline.meta.cursor ?? null;
        for (;;) {
          if (options.maxBatches !== undefined && result.batches >= options.maxBatches)
            return { ...result, status: 'stopped' };
          if (!(await lease.renew())) return { ...result, status: 'busy' }; // expired, and another run took the table over
          const batch = await writeSnapshotBatch(runner, this.tables, baseline.id, sql, cursor, batchSize, table);
          result.batches++;
          result.written += batch.written;
          result.snapshots = batch.snapshots;
          cursor = batch.lastPk ?? cursor;
          publish('baselineBatch', {
            table,
            written: batch.written,
            total: result.rowsWithoutHistory,
          } satisfies BaselineBatchEvent);
          options.onBatch?.({
            table,
            batch: result.batches,
            written: result.written,
            total: result.rowsWithoutHistory,
          });
          if (batch.locked < batchSize) break;
        }
        await runner.query(
          // Complete: stamped with this transaction's txid, so the sealer (which skips open baselines and
          // looks from its last horizon on) finds and seals it now.
          `UPDATE ${this.transactions} SET meta = meta || jsonb_build_object('completed_at', clock_timestamp()), txid = txid_current() WHERE id = $1`,
          [baseline.id],
        );
        return { ...result, status: 'complete' };
      } finally {
        await lease.release();
      }
    } finally {
      await runner.release();
    }
  }

  /** A baseline only makes sense on a captured table whose deployed redaction matches the config the snapshots are built from. */
  private async checkCaptured(ref: { schema: string; table: string }): Promise<void> {
    const table = tableKey(ref);
    const coverage = (await this.coverage.triggerCoverage()).find((t) => tableKey(t) === table);
    if (!coverage) throw TableNotReadyForBaselineError.notATable(table);
    if (!coverage.covered) {
      throw TableNotReadyForBaselineError.notCaptured(table, coverage.missingTriggers);
    }
    const [redaction] = await this.redaction.redactionPolicy([tableOptionsFor(this.options, ref.schema, ref.table)]);
    if (redaction.status !== 'matches') {
      const why = redaction.status === 'drift' ? redaction.differences.join('; ') : redaction.reason;
      throw TableNotReadyForBaselineError.redactionDiffers(table, redaction.label, why);
    }
  }

  private async openBaseline(
    table: string,
    db: { query(sql: string, params: unknown[]): Promise<OpenBaseline[]> } = this.dataSource,
  ): Promise<OpenBaseline | undefined> {
    const [row] = await db.query(
      `SELECT id, meta FROM ${this.transactions} WHERE source = $1 AND meta ->> 'table' = $2 AND NOT meta ? 'completed_at' ORDER BY occurred_at DESC LIMIT 1`,
      [BASELINE_SOURCE, table],
    );
    return row;
  }

  private async createBaseline(table: string, runner: QueryRunner, batchSize: number): Promise<OpenBaseline> {
    const [row] = await runner.query(
      `INSERT INTO ${this.transactions} (txid, actor_ref, source, meta)
       VALUES (txid_current(), $1::jsonb, $2, jsonb_build_object('baseline', true, 'table', $3::text, 'batch_size', $4::int, 'snapshots', 0))
       RETURNING id, meta`,
      [JSON.stringify(BASELINE_ACTOR), BASELINE_SOURCE, table, batchSize],
    );
    return row;
  }
}

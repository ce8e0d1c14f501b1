import { Inject, Injectable } from '@nestjs/common';
import { AuditTables, isInsufficientPrivilege, qualified } from '@threadline/core';
import { DataSource } from 'typeorm';
import { THREADLINE_CAPTURE_OPTIONS } from '../capture.constants';
import { PartitionPrivilegeError, PartitionUpgradeError, PartitionUpgradeUsageError } from '../capture.errors';
import { partitionUpgradeTexts } from '../capture.messages';
import { ResolvedCaptureOptions } from '../capture.options';
import { PARTITION_UPGRADE_FUNCTIONS, PARTITION_UPGRADE_TABLE } from '../schema/audit-schema.sql';
import { PARTITION_INTERVALS, PARTITIONS_AHEAD, PartitionInterval } from './partitioning.options';
import { PartitionUpgradeResult } from './partitions.types';

export interface PartitionUpgradeRequest {
  /** The interval; default capture.partitioning.interval (one of the two is needed). */
  interval?: string;
  /** Intervals kept ahead; default capture.partitioning.ahead, else 3. */
  ahead?: number;
  /** Rows a batch, each batch one short transaction. @default 5000 */
  batchSize?: number;
  /** Stop after this many batches (run again to go on). */
  maxBatches?: number;
  onBatch?: (progress: { table: string; copied: number; estimate: number; batches: number }) => void;
}

const DEFAULT_BATCH = 5000;
/** A batch that deadlocked with a writer (it locks rows FOR SHARE) or waited out its lock is tried again. */
const RETRIED = new Set(['40P01', '55P03']);
const RETRIES = 5;

/**
 * `partitions upgrade`: moves an unpartitioned audit log into partitioned storage while the app writes (019): start
 * (or resume), copy in batches, finish; or abort. Every step is its own transaction, so a killed run leaves the log
 * whole and the next run goes on from where the last one stopped.
 */
@Injectable()
export class PartitionUpgradeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: AuditTables,
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly options: ResolvedCaptureOptions,
  ) {}

  async upgrade(request: PartitionUpgradeRequest = {}): Promise<PartitionUpgradeResult> {
    const { interval, ahead } = this.partitioning(request);
    const result: PartitionUpgradeResult = {
      outcome: 'finished',
      interval,
      ahead,
      resumed: false,
      batches: 0,
      copied: { transactions: 0, changes: 0 },
      transactions: null,
      changes: null,
      dropWhenVerified: null,
    };
    const [state] = await this.dataSource.query(
      `SELECT coalesce(${this.tables.partitionedSql()}, false) AS partitioned, to_regclass($1) IS NOT NULL AS under_way`,
      [this.tables.named(PARTITION_UPGRADE_TABLE)],
    );
    if (state.partitioned && !state.under_way) return { ...result, outcome: 'partitioned-already' };
    const [{ started }] = await this.call('start', `SELECT ${this.fn('start')}($1, $2) AS started`, [interval, ahead]);
    result.resumed = !started;
    if (!(await this.copy(request, result))) return { ...result, outcome: 'stopped' };
    const [totals] = await this.call('finish', `SELECT * FROM ${this.fn('finish')}()`, [], true);
    const leftovers = ['audit_changes_unpartitioned', 'audit_transactions_unpartitioned'];
    return {
      ...result,
      transactions: Number(totals.transactions),
      changes: Number(totals.changes),
      dropWhenVerified: `DROP TABLE ${leftovers.map((t) => this.tables.named(t)).join(', ')};`,
    };
  }

  /** Drops what an upgrade under way made; the audit tables stay as they were. */
  async abort(): Promise<PartitionUpgradeResult> {
    const [{ aborted }] = await this.call('abort', `SELECT ${this.fn('abort')}() AS aborted`, [], true);
    return {
      outcome: aborted ? 'aborted' : 'nothing-to-abort',
      interval: null,
      ahead: null,
      resumed: false,
      batches: 0,
      copied: { transactions: 0, changes: 0 },
      transactions: null,
      changes: null,
      dropWhenVerified: null,
    };
  }

  /** Batches until both tables are copied (true), or until maxBatches (false). */
  private async copy(request: PartitionUpgradeRequest, result: PartitionUpgradeResult): Promise<boolean> {
    const estimates = await this.estimates();
    for (;;) {
      if (request.maxBatches !== undefined && result.batches >= request.maxBatches) return false;
      const [step] = await this.call('copy', `SELECT * FROM ${this.fn('copy')}($1)`, [
        request.batchSize ?? DEFAULT_BATCH,
      ]);
      result.batches++;
      const table = step.table_name as 'audit_transactions' | 'audit_changes';
      const key = table === 'audit_changes' ? 'changes' : 'transactions';
      result.copied[key] += Number(step.copied);
      request.onBatch?.({
        table,
        copied: result.copied[key],
        estimate: estimates[table],
        batches: result.batches,
      });
      if (table === 'audit_changes' && step.done) return true;
    }
  }

  /** About how many rows each table holds (the planner's count: no scan). */
  private async estimates(): Promise<Record<string, number>> {
    const rows: { name: string; n: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name, greatest(c.reltuples, 0)::bigint::text AS n FROM pg_catalog.pg_class AS c
       WHERE c.oid IN (to_regclass($1), to_regclass($2))`,
      [this.tables.changes, this.tables.transactions],
    );
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
  }

  /** One step in its own transaction (READ COMMITTED, no statement timeout), retried on a deadlock. */
  private async call(step: keyof typeof PARTITION_UPGRADE_FUNCTIONS, sql: string, params: unknown[], once = false) {
    for (let attempt = 1; ; attempt++) {
      const runner = this.dataSource.createQueryRunner();
      try {
        await runner.connect();
        await runner.startTransaction('READ COMMITTED');
        await runner.query(`SET LOCAL statement_timeout = 0`);
        const rows = await runner.query(sql, params);
        await runner.commitTransaction();
        return rows;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        if (isInsufficientPrivilege(error)) throw PartitionPrivilegeError.forUpgrade(this.fn(step), error);
        const code = (error as { code?: string }).code;
        if (once || !RETRIED.has(code ?? '') || attempt >= RETRIES)
          throw code && !code.startsWith('08') ? PartitionUpgradeError.from(error) : error;
      } finally {
        await runner.release();
      }
    }
  }

  private fn(step: keyof typeof PARTITION_UPGRADE_FUNCTIONS): string {
    return qualified(this.tables.schema, PARTITION_UPGRADE_FUNCTIONS[step]);
  }

  /** The interval and intervals ahead: the flags, else capture.partitioning; the two must agree when both are set. */
  private partitioning(request: PartitionUpgradeRequest): { interval: PartitionInterval; ahead: number } {
    const configured = this.options.partitioning;
    if (request.interval !== undefined && !PARTITION_INTERVALS.includes(request.interval as PartitionInterval))
      throw new PartitionUpgradeUsageError(partitionUpgradeTexts.interval(request.interval));
    const ahead = request.ahead;
    if (ahead !== undefined && (ahead < PARTITIONS_AHEAD.min || ahead > PARTITIONS_AHEAD.max))
      throw new PartitionUpgradeUsageError(partitionUpgradeTexts.ahead(ahead, PARTITIONS_AHEAD));
    if (configured && request.interval !== undefined && request.interval !== configured.interval)
      throw new PartitionUpgradeUsageError(
        partitionUpgradeTexts.differs('--interval', request.interval, configured.interval),
      );
    if (configured && ahead !== undefined && ahead !== configured.ahead)
      throw new PartitionUpgradeUsageError(partitionUpgradeTexts.differs('--ahead', ahead, configured.ahead));
    const interval = (request.interval ?? configured?.interval) as PartitionInterval | undefined;
    if (!interval) throw new PartitionUpgradeUsageError(partitionUpgradeTexts.noInterval());
    return { interval, ahead: ahead ?? configured?.ahead ?? PARTITIONS_AHEAD.default };
  }
}

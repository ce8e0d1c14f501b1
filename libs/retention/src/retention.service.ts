import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { ResolvedCaptureOptions, THREADLINE_CAPTURE_OPTIONS } from '@threadline/capture';
import { InvalidOptionsError, qualified } from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { RetentionError } from './retention.error';
import { RetentionPolicy } from './retention.options';

export interface PurgeOptions {
  /** Count what would be deleted; delete nothing. Allowed even when the policy is disabled. */
  dryRun?: boolean;
  /** @default policy.batchSize */
  batchSize?: number;
  /** @default policy.maxBatches */
  maxBatches?: number;
  /** A stricter (older) cutoff than the policy's; a newer one is an error. ISO string keeps microseconds. */
  cutoff?: Date | string;
  /** Called after each batch (the CLI's progress display). */
  onBatch?: (progress: PurgeProgress) => void;
}

export interface PurgeProgress {
  batch: number;
  deletedChanges: number;
  deletedTransactions: number;
}

export interface PurgeSummary extends PurgeProgress {
  status: 'completed';
  dryRun: boolean;
  batchesRun: number;
  maxBatches: number;
  /** True when the run stopped at maxBatches: eligible rows are left for the next run. */
  maxBatchesReached: boolean;
  /** The global cutoff used (changes captured before it were eligible). */
  cutoff: string;
  durationMs: number;
}

/** The reference's `{:error, :disabled}`: nothing was deleted, and why. */
export interface PurgeRefused {
  status: 'disabled' | 'busy';
  reason: string;
}

export type PurgeResult = PurgeSummary | PurgeRefused;

const LOCK_KEY = "hashtext('threadline.retention.purge')";

interface WindowGroup {
  cutoff: string;
  /** The table of a per-table window; absent for the global window. */
  table?: { schema: string; table: string };
  /** For the global window: the tables that have a window of their own. */
  others: { schema: string; table: string }[];
}

/** Binds values as $1, $2... in the order conditions are built. */
class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `c` (an audit_changes row) belongs to the group and is older than its cutoff. */
function eligible(group: WindowGroup, p: SqlParams): string {
  const inGroup = group.table
    ? `c.table_schema = ${p.add(group.table.schema)} AND c.table_name = ${p.add(group.table.table)}`
    : group.others.length
      ? `(c.table_schema, c.table_name) NOT IN (${group.others.map((t) => `(${p.add(t.schema)}, ${p.add(t.table)})`).join(', ')})`
      : 'true';
  return `(c.captured_at < ${p.add(group.cutoff)}::timestamptz AND ${inGroup})`;
}

/**
 * Deletes audit changes older than the retention window, in batches, each
 * batch its own short transaction that also removes the transactions it left
 * empty: a purge stopped at any point leaves every remaining change with its
 * transaction, and the next run finishes the job.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ThreadlineRetention');
  private readonly changes: string;
  private readonly transactions: string;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(THREADLINE_RETENTION_POLICY) private readonly policy: RetentionPolicy | null,
    @Optional() @Inject(THREADLINE_CAPTURE_OPTIONS) capture?: ResolvedCaptureOptions,
  ) {
    const schema = capture?.auditSchema ?? 'public';
    this.changes = qualified(schema, 'audit_changes');
    this.transactions = qualified(schema, 'audit_transactions');
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
      throw InvalidOptionsError.of([`retention.tables names ${missing.join(', ')}, not a table in the database`]);
    }
  }

  /** Lets a running purge stop after its current batch (application shutdown). */
  requestStop(): void {
    this.stopping = true;
  }

  async purge(options: PurgeOptions = {}): Promise<PurgeResult> {
    const policy = this.policy;
    if (!policy)
      return {
        status: 'disabled',
        reason: 'retention is not configured (ThreadlineModule.forRoot({ retention: { keepDays, enabled } }))',
      };
    if (!policy.enabled && !options.dryRun) {
      return {
        status: 'disabled',
        reason: 'retention.enabled is false: destructive purges refuse to run until it is true (a dry run is allowed)',
      };
    }
    const batchSize = positive('batchSize', options.batchSize ?? policy.batchSize);
    const maxBatches = positive('maxBatches', options.maxBatches ?? policy.maxBatches);
    const started = Date.now();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const groups = await this.windowGroups(runner, policy, options.cutoff);
      if (options.dryRun) return await this.dryRun(runner, groups, batchSize, maxBatches, policy, started);
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`);
      if (!locked)
        return {
          status: 'busy',
          reason: 'another purge is running (it holds the retention advisory lock); nothing deleted',
        };
      try {
        return await this.run(runner, groups, batchSize, maxBatches, policy, options, started);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
      }
    } finally {
      await runner.release();
    }
  }

  private async run(
    runner: QueryRunner,
    groups: WindowGroup[],
    batchSize: number,
    maxBatches: number,
    policy: RetentionPolicy,
    options: PurgeOptions,
    started: number,
  ): Promise<PurgeSummary> {
    const progress: PurgeProgress = { batch: 0, deletedChanges: 0, deletedTransactions: 0 };
    let reachedMax = false;
    for (const group of groups) {
      while (!this.stopping) {
        if (progress.batch >= maxBatches) {
          reachedMax = await this.hasEligible(runner, group);
          break;
        }
        const { changes, transactions } = await this.batch(runner, group, batchSize, policy.deleteEmptyTransactions);
        if (changes === 0) break;
        progress.batch++;
        progress.deletedChanges += changes;
        progress.deletedTransactions += transactions;
        this.logger.log(
          `threadline retention purge batch ${progress.batch} deleted_changes=${progress.deletedChanges} deleted_transactions=${progress.deletedTransactions}`,
        );
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
      durationMs: Date.now() - started,
    };
    this.logger.log(
      `threadline retention purge done deleted_changes=${summary.deletedChanges} deleted_transactions=${summary.deletedTransactions} ` +
        `batches=${summary.batchesRun}/${maxBatches} ${reachedMax ? 'max_batches reached: eligible rows remain for the next run' : 'all eligible rows deleted'} ` +
        `duration_ms=${summary.durationMs}`,
    );
    return summary;
  }

  /** One batch in its own transaction: the oldest eligible changes, then the transactions they left empty. */
  private async batch(
    runner: QueryRunner,
    group: WindowGroup,
    batchSize: number,
    deleteEmpty: boolean,
  ): Promise<{ changes: number; transactions: number }> {
    const p = new SqlParams();
    const where = eligible(group, p);
    await runner.startTransaction();
    try {
      // structured result: TypeORM returns DELETE results as [rows, count] otherwise
      const { records: deleted } = (await runner.query(
        `WITH doomed AS (
           SELECT c.id FROM ${this.changes} AS c
           WHERE ${where}
           -- ids come from a sequence at capture time: the primary key walks the oldest first
           ORDER BY c.id
           LIMIT ${batchSize}
           FOR UPDATE SKIP LOCKED
         )
         DELETE FROM ${this.changes} AS c USING doomed WHERE c.id = doomed.id
         RETURNING c.transaction_id`,
        p.values,
        true,
      )) as { records: { transaction_id: string }[] };
      let transactions = 0;
      if (deleteEmpty && deleted.length > 0) {
        const emptied = await runner.query(
          `DELETE FROM ${this.transactions} AS t
           WHERE t.id = ANY ($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM ${this.changes} AS c WHERE c.transaction_id = t.id)`,
          [[...new Set(deleted.map((d) => d.transaction_id))]],
          true,
        );
        transactions = emptied.affected ?? 0;
      }
      await runner.commitTransaction();
      return { changes: deleted.length, transactions };
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
  }

  private async hasEligible(runner: QueryRunner, group: WindowGroup): Promise<boolean> {
    const p = new SqlParams();
    const rows = await runner.query(`SELECT 1 FROM ${this.changes} AS c WHERE ${eligible(group, p)} LIMIT 1`, p.values);
    return rows.length > 0;
  }

  private async dryRun(
    runner: QueryRunner,
    groups: WindowGroup[],
    batchSize: number,
    maxBatches: number,
    policy: RetentionPolicy,
    started: number,
  ): Promise<PurgeSummary> {
    const cap = batchSize * maxBatches;
    // the groups partition the tables, so a change is eligible when it is eligible in any group
    const counted = new SqlParams();
    const anyGroup = groups.map((g) => eligible(g, counted)).join(' OR ');
    const [{ n: total }] = await runner.query(
      `SELECT count(*)::bigint AS n FROM ${this.changes} AS c WHERE ${anyGroup}`,
      counted.values,
    );
    const eligibleChanges = Number(total);
    const deletedChanges = Math.min(eligibleChanges, cap);
    let deletedTransactions = 0;
    if (policy.deleteEmptyTransactions && deletedChanges > 0) {
      // Transactions every one of whose changes is eligible (exact unless the cap cuts the run short).
      const [{ n }] = await runner.query(
        `SELECT count(*)::bigint AS n FROM ${this.transactions} AS t
         WHERE EXISTS (SELECT 1 FROM ${this.changes} AS c WHERE c.transaction_id = t.id)
           AND NOT EXISTS (SELECT 1 FROM ${this.changes} AS c WHERE c.transaction_id = t.id AND NOT (${anyGroup}))`,
        counted.values,
      );
      deletedTransactions = Number(n);
    }
    const batchesRun = Math.min(Math.ceil(eligibleChanges / batchSize), maxBatches);
    return {
      status: 'completed',
      dryRun: true,
      batch: batchesRun,
      deletedChanges,
      deletedTransactions,
      batchesRun,
      maxBatches,
      maxBatchesReached: eligibleChanges > cap,
      cutoff: groups[0].cutoff,
      durationMs: Date.now() - started,
    };
  }

  /**
   * The global window (tables without their own) and one group per table
   * window, each with its cutoff computed by the database clock. A given
   * cutoff may only make a group stricter.
   */
  private async windowGroups(
    runner: QueryRunner,
    policy: RetentionPolicy,
    cutoff?: Date | string,
  ): Promise<WindowGroup[]> {
    const given = cutoff === undefined ? null : cutoff instanceof Date ? cutoff.toISOString() : cutoff;
    if (given !== null && (typeof given !== 'string' || Number.isNaN(Date.parse(given)))) {
      throw new RetentionError(`retention: cutoff must be a date or ISO timestamp (got ${JSON.stringify(cutoff)})`);
    }
    const windows = [policy.windowSeconds, ...policy.tables.map((t) => t.windowSeconds)];
    const rows: { policy_cutoff: string; too_new: boolean; effective: string }[] = await runner.query(
      `SELECT (now() - w * interval '1 second')::text AS policy_cutoff,
              $2::timestamptz > now() - w * interval '1 second' AS too_new,
              least(coalesce($2::timestamptz, 'infinity'), now() - w * interval '1 second')::text AS effective
       FROM unnest($1::bigint[]) WITH ORDINALITY AS x(w, ord) ORDER BY ord`,
      [windows, given],
    );
    if (given !== null && rows[0].too_new) {
      throw new RetentionError(
        `retention: cutoff ${given} is newer than the policy allows (${rows[0].policy_cutoff}); only a stricter (older) cutoff may be given`,
      );
    }
    const listed = policy.tables.map(({ schema, table }) => ({ schema, table }));
    return [
      { cutoff: rows[0].effective, others: listed },
      ...listed.map((table, i) => ({ cutoff: rows[i + 1].effective, table, others: [] })),
    ];
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new RetentionError(`retention: ${name} must be a positive integer (got ${JSON.stringify(value)})`);
  return value;
}

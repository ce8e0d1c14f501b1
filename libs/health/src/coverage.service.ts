import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import {
  AUDIT_TABLES,
  DETACHED_COMMENT,
  UPGRADE_COMMENT,
  captureDifferences,
  readDeployedCapture,
  resolveCaptureOptions,
  tableOptionsFor,
  ResolvedCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
  TRIGGER_PREFIX,
  triggerNamesFor,
} from '@threadline/capture';
import {
  AuditTables,
  errorType,
  HealthCheckedEvent,
  HealthErrorEvent,
  inSpan,
  THREADLINE_SPANS,
  threadlineEvents,
} from '@threadline/core';
import { DataSource } from 'typeorm';
import { THREADLINE_COVERAGE_POLICY } from './health.constants';
import { COVERAGE_SQL } from './coverage.sql';
import { ExpectedTableMissingError } from './health.errors';
import { CoveragePolicy, TableName, tableKey } from './health.options';
import { expectedTablesMissing } from './health.messages';

export interface TableCoverage extends TableName {
  covered: boolean;
  /** Threadline triggers a covered table has but this one lacks (or has disabled). */
  missingTriggers: string[];
  /** Every Threadline trigger of the table fires under session_replication_role = replica too (ENABLE ALWAYS). */
  firesInReplicaRole: boolean;
}

/** Coverage as the policy reads it: every table of the audited schemas in exactly one bucket. */
export interface CoverageReport {
  checkedAt: string;
  /** expectedTables and the other covered tables. */
  covered: string[];
  /** Uncovered tables listed in expectedTables: these make health down. */
  uncoveredExpected: string[];
  /** expectedTables that are not tables in the catalog: these make health down too. */
  missingExpected: string[];
  /** Uncovered tables listed in expectedUncoveredTables: by design. */
  expectedUncovered: string[];
  /** Uncovered tables in neither list: informational, or failures under `strict`. */
  unclassified: string[];
  /** For each uncovered table (expected or not), the Threadline triggers it lacks (all four when it has none). */
  missingTriggers: Record<string, string[]>;
  /**
   * Covered or configured tables whose deployed capture differs from the
   * configuration or from the table as it is now (redaction drift, columns
   * changed without regeneration, a function edited by hand, partitions
   * without capture), each difference in words.
   */
  drift: { table: string; expected: boolean; differences: string[] }[];
  /**
   * Covered tables whose triggers do not fire under session_replication_role =
   * replica: writes made in that mode are not captured (capture.captureInReplicaRole: false,
   * or triggers enabled by hand with plain ENABLE TRIGGER).
   */
  notCapturedInReplicaRole: string[];
  /** True when every expected table exists, is covered and has no drift (and, under strict, nothing is unclassified). */
  ok: boolean;
  strict: boolean;
}

/**
 * Trigger coverage from the live catalog, in one round trip however many
 * tables there are. The three audit tables are never listed.
 */
@Injectable()
export class CoverageService implements OnApplicationBootstrap {
  private readonly auditSchema: string;
  private readonly capture: ResolvedCaptureOptions;
  private consecutiveFailures = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(THREADLINE_COVERAGE_POLICY) private readonly policy: CoveragePolicy,
    @Optional() @Inject(THREADLINE_CAPTURE_OPTIONS) capture?: ResolvedCaptureOptions,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.capture = capture ?? resolveCaptureOptions({});
    this.auditSchema = this.capture.auditSchema;
  }

  /**
   * A name in expectedTables or expectedUncoveredTables that is not a table
   * stops the app, listing the bad names. Checked once the audit schema is
   * installed (before that, a fresh database has no tables to check against).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.policy.expectedTables.length + this.policy.expectedUncoveredTables.length === 0) return;
    const [{ installed }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS installed`, [
      this.tables.changes,
    ]);
    if (!installed) return;
    const problems: string[] = [];
    for (const option of ['expectedTables', 'expectedUncoveredTables'] as const) {
      const missing = await this.missingTables(this.policy[option]);
      if (missing.length) problems.push(expectedTablesMissing(option, missing));
    }
    if (problems.length) throw ExpectedTableMissingError.of(problems);
  }

  /** Every user table of the audited schemas, covered or not. */
  async triggerCoverage(): Promise<TableCoverage[]> {
    const rows: { schema: string; table: string; triggers: string[]; fires_in_replica: boolean }[] =
      await this.dataSource.query(COVERAGE_SQL, [
        this.policy.schemas,
        this.auditSchema,
        [...AUDIT_TABLES],
        `${TRIGGER_PREFIX.replace(/_/g, '\\_')}%`,
        [DETACHED_COMMENT, UPGRADE_COMMENT],
      ]);
    return rows.map((row) => {
      const missingTriggers = triggerNamesFor(row.table).filter((name) => !row.triggers.includes(name));
      return {
        schema: row.schema,
        table: row.table,
        covered: missingTriggers.length === 0,
        missingTriggers,
        firesInReplicaRole: row.fires_in_replica,
      };
    });
  }

  /** Coverage bucketed by the policy; publishes `threadline:health:checked`, or `threadline:health:error` on failure. */
  report(options: { strict?: boolean } = {}): Promise<CoverageReport> {
    return inSpan(THREADLINE_SPANS.coverage.name, {}, async (span) => {
      const report = await this.check(options);
      const counts = coverageCounts(report);
      span.setAttributes({
        'threadline.coverage.covered': counts.covered,
        'threadline.coverage.uncovered': counts.uncovered,
        'threadline.coverage.drifted': counts.drifted,
        'threadline.coverage.ok': report.ok,
      });
      return report;
    });
  }

  private async check(options: { strict?: boolean }): Promise<CoverageReport> {
    let tables: TableCoverage[];
    let drift: { table: string; differences: string[]; partitions: string[] }[];
    try {
      tables = await this.triggerCoverage();
      drift = await this.captureDrift(tables);
    } catch (error) {
      this.consecutiveFailures++;
      if (threadlineEvents.healthError.hasSubscribers) {
        const event: HealthErrorEvent = {
          error: error instanceof Error ? error.message : String(error),
          errorType: errorType(error),
          consecutiveFailures: this.consecutiveFailures,
        };
        threadlineEvents.healthError.publish(event);
      }
      throw error;
    }
    this.consecutiveFailures = 0;
    const strict = options.strict ?? this.policy.strict;
    const expected = new Set(this.policy.expectedTables.map(tableKey));
    const expectedUncovered = new Set(this.policy.expectedUncoveredTables.map(tableKey));
    const byKey = new Map(tables.map((t) => [tableKey(t), t]));
    const report: CoverageReport = {
      checkedAt: new Date().toISOString(),
      covered: tables.filter((t) => t.covered).map(tableKey),
      uncoveredExpected: tables.filter((t) => !t.covered && expected.has(tableKey(t))).map(tableKey),
      missingExpected: [...expected].filter((k) => !byKey.has(k)),
      expectedUncovered: tables.filter((t) => !t.covered && expectedUncovered.has(tableKey(t))).map(tableKey),
      unclassified: tables
        .filter((t) => !t.covered && !expected.has(tableKey(t)) && !expectedUncovered.has(tableKey(t)))
        .map(tableKey),
      missingTriggers: Object.fromEntries(
        tables
          .filter((t) => !t.covered && !expectedUncovered.has(tableKey(t)))
          .map((t) => [tableKey(t), t.missingTriggers]),
      ),
      drift: drift.map((d) => ({ table: d.table, expected: expected.has(d.table), differences: d.differences })),
      notCapturedInReplicaRole: tables.filter((t) => t.covered && !t.firesInReplicaRole).map(tableKey),
      ok: false,
      strict,
    };
    // A partition without capture is an uncovered table, in the bucket of the table it belongs to.
    for (const d of drift)
      (expected.has(d.table) ? report.uncoveredExpected : report.unclassified).push(...d.partitions);
    report.ok =
      report.uncoveredExpected.length === 0 &&
      report.missingExpected.length === 0 &&
      report.drift.every((d) => !d.expected) &&
      (!strict || (report.unclassified.length === 0 && report.drift.length === 0));
    if (threadlineEvents.healthChecked.hasSubscribers) {
      const event: HealthCheckedEvent = { ...coverageCounts(report), unclassified: report.unclassified.length };
      threadlineEvents.healthChecked.publish(event);
    }
    return report;
  }

  /** Drift of every covered table and every configured one that exists. */
  private async captureDrift(
    tables: TableCoverage[],
  ): Promise<{ table: string; differences: string[]; partitions: string[] }[]> {
    const existing = new Set(tables.map(tableKey));
    const checked = new Map<string, TableName>();
    for (const t of tables) if (t.covered) checked.set(tableKey(t), t);
    for (const t of this.capture.tables) if (existing.has(tableKey(t))) checked.set(tableKey(t), t);
    const list = [...checked.values()];
    const deployed = await readDeployedCapture(this.dataSource, this.auditSchema, list);
    return list
      .map((t, i) => ({
        table: tableKey(t),
        differences: captureDifferences(tableOptionsFor(this.capture, t.schema, t.table), this.capture, deployed[i]),
        partitions: deployed[i].partitionsWithoutCapture,
      }))
      .filter((d) => d.differences.length > 0);
  }

  private async missingTables(names: TableName[]): Promise<string[]> {
    const rows: { name: string; exists: boolean }[] = await this.dataSource.query(
      `SELECT s || '.' || t AS name, EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = s AND c.relname = t AND c.relkind IN ('r', 'p')) AS exists
       FROM unnest($1::text[], $2::text[]) AS x(s, t)`,
      [names.map((n) => n.schema), names.map((n) => n.table)],
    );
    return rows.filter((r) => !r.exists).map((r) => r.name);
  }
}

/**
 * A report's counts: tables (and partitions) without capture are uncovered, wherever the policy files them;
 * drifted are covered tables whose deployed capture differs (a configured table without triggers is uncovered).
 */
function coverageCounts(report: CoverageReport): { covered: number; uncovered: number; drifted: number } {
  const covered = new Set(report.covered);
  return {
    covered: covered.size,
    uncovered: report.uncoveredExpected.length + report.expectedUncovered.length + report.unclassified.length,
    drifted: report.drift.filter((d) => covered.has(d.table)).length,
  };
}

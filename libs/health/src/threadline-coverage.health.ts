import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { COVERAGE_HEALTH_KEY, THREADLINE_COVERAGE_POLICY } from './health.constants';
import { CoverageService } from './coverage.service';
import { CoveragePolicy } from './health.options';
import { IntegrityReport, IntegrityService } from './integrity.service';

/**
 * Terminus indicator: up when every expectedTables entry exists and is
 * covered; down (Terminus answers 503) naming each uncovered or missing
 * expected table. Other uncovered tables are information only (failures
 * under `strict`). A catalog error is a down result with its message.
 *
 * With `health.integrity` set it also verifies the audit log's hash chain
 * (IntegrityService.verify), at most every `checkEverySeconds`, reusing the
 * last result in between: down when a sealed record was altered, inserted or
 * deleted, with the first problem named under `integrity`.
 *
 * @example this.health.check([() => this.db.pingCheck('database'), () => this.coverage.isHealthy()])
 */
@Injectable()
export class ThreadlineCoverageIndicator {
  private lastCheck?: { at: number; report: Promise<IntegrityReport> };

  constructor(
    private readonly coverage: CoverageService,
    private readonly indicators: HealthIndicatorService,
    private readonly integrity: IntegrityService,
    @Inject(THREADLINE_COVERAGE_POLICY) private readonly policy: CoveragePolicy,
  ) {}

  private integrityReport(): Promise<IntegrityReport> | undefined {
    const every = this.policy.integrity?.checkEverySeconds;
    if (every === undefined) return undefined;
    if (!this.lastCheck || Date.now() - this.lastCheck.at >= every * 1000) {
      const report = this.integrity.verify();
      this.lastCheck = { at: Date.now(), report };
      // a failed check is not cached: the next probe runs it again
      report.catch(() => (this.lastCheck = undefined));
    }
    return this.lastCheck.report;
  }

  async isHealthy(key: string = COVERAGE_HEALTH_KEY) {
    const indicator = this.indicators.check(key);
    try {
      const [r, integrity] = await Promise.all([this.coverage.report(), this.integrityReport()]);
      const data = {
        covered: r.covered.length,
        uncoveredExpected: r.uncoveredExpected,
        missingExpected: r.missingExpected,
        expectedUncovered: r.expectedUncovered,
        unclassified: r.unclassified,
        drift: r.drift.filter((d) => d.expected),
        notCapturedInReplicaRole: r.notCapturedInReplicaRole,
        ...(integrity && {
          integrity: {
            ok: integrity.ok,
            checked: integrity.checked,
            problemCount: integrity.problemCount,
            firstProblem: integrity.problems[0]?.message ?? null,
            head: integrity.head,
          },
        }),
      };
      return r.ok && (integrity?.ok ?? true) ? indicator.up(data) : indicator.down(data);
    } catch (error) {
      return indicator.down({
        message: `coverage check failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}

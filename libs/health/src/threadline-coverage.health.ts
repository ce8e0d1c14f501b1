import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { COVERAGE_HEALTH_KEY } from './health.constants';
import { CoverageService } from './coverage.service';

/**
 * Terminus indicator: up when every expectedTables entry exists and is
 * covered; down (Terminus answers 503) naming each uncovered or missing
 * expected table. Other uncovered tables are information only (failures
 * under `strict`). A catalog error is a down result with its message.
 *
 * @example this.health.check([() => this.db.pingCheck('database'), () => this.coverage.isHealthy()])
 */
@Injectable()
export class ThreadlineCoverageIndicator {
  constructor(
    private readonly coverage: CoverageService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy(key: string = COVERAGE_HEALTH_KEY) {
    const indicator = this.indicators.check(key);
    try {
      const r = await this.coverage.report();
      const data = {
        covered: r.covered.length,
        uncoveredExpected: r.uncoveredExpected,
        missingExpected: r.missingExpected,
        expectedUncovered: r.expectedUncovered,
        unclassified: r.unclassified,
        drift: r.drift.filter((d) => d.expected),
        notCapturedInReplicaRole: r.notCapturedInReplicaRole,
      };
      return r.ok ? indicator.up(data) : indicator.down(data);
    } catch (error) {
      return indicator.down({
        message: `coverage check failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}

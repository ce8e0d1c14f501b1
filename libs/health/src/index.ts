// @threadline/health: the checks that read: trigger coverage and its policy, redaction drift, the Terminus
// indicator and continuity. The commands (verify-coverage, health coverage, policy show, continuity) come
// with ThreadlineHealthModule. Tamper evidence and completeness are @threadline/proof's; baselines (which
// write) are @threadline/baseline's.
export type { HealthOptions, CoveragePolicy, TableName } from './health.options';
export * from './health.errors';
export * from './coverage.service';
export * from './redaction-policy.service';
export { ThreadlineCoverageIndicator } from './threadline-coverage.health';
export { ThreadlineHealthModule } from './health.module';
export * from './continuity.service';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { healthOptionsProblems, tableKey } from './health.options';
export { THREADLINE_COVERAGE_POLICY } from './health.constants';

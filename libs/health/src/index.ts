// @threadline/health: trigger coverage and its policy, redaction drift, the Terminus indicator, continuity
// and baselines. The commands (verify-coverage, health coverage, policy show, continuity, baseline) come
// with ThreadlineHealthModule. Tamper evidence and completeness are @threadline/proof's.
export type { HealthOptions, CoveragePolicy, TableName } from './health.options';
export * from './health.errors';
export * from './coverage.service';
export * from './redaction-policy.service';
export { ThreadlineCoverageIndicator } from './threadline-coverage.health';
export { ThreadlineHealthModule } from './health.module';
export * from './continuity.service';
export * from './baseline.service';
export * from './baseline.types';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { healthOptionsProblems } from './health.options';
export { THREADLINE_COVERAGE_POLICY } from './health.constants';

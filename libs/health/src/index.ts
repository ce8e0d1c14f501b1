// @threadline/health: trigger coverage and its policy, redaction drift, the Terminus indicator, continuity
// and baselines, tamper evidence and completeness. The commands (verify-coverage, health coverage, policy
// show, continuity, baseline, verify-integrity) come with ThreadlineHealthModule.
export type { HealthOptions, CoveragePolicy, IntegrityPolicy, TableName } from './health.options';
export * from './health.errors';
export * from './coverage.service';
export * from './redaction-policy.service';
export { ThreadlineCoverageIndicator } from './threadline-coverage.health';
export { ThreadlineHealthModule } from './health.module';
export * from './continuity.service';
export * from './baseline.service';
export * from './baseline.types';
export * from './integrity.service';
export * from './completeness.service';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { healthOptionsProblems } from './health.options';
export { THREADLINE_COVERAGE_POLICY } from './health.constants';

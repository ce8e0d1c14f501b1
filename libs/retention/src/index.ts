// @threadline/retention: the retention policy, batched and scheduled purges, legal holds, and the `retention
// purge`, `hold`, `holds` and `release-hold` commands (they come with ThreadlineRetentionModule).
export type { RetentionOptions, TableRetentionWindow } from './retention.options';
export * from './retention.errors';
export * from './retention.service';
export * from './purge.types';
export * from './legal-hold.types';
export { LegalHoldService, HOLD_REASON_MAX_LENGTH, HOLD_BY_MAX_LENGTH } from './legal-hold.service';
export { ThreadlineRetentionModule } from './retention.module';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { retentionProblems, resolveRetentionPolicy, type RetentionPolicy } from './retention.options';
export { THREADLINE_RETENTION_POLICY } from './retention.constants';
export { RetentionScheduler, RETENTION_JOB_NAME } from './retention.scheduler';

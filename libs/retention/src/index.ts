export * from './retention.options';
export * from './retention.constants';
export * from './retention.errors';
export * from './retention.service';
export * from './purge.types';
export { RetentionScheduler, RETENTION_JOB_NAME } from './retention.scheduler';
export { RetentionCommand, RetentionPurgeCommand } from './retention-purge.command';
export { ThreadlineRetentionModule } from './retention.module';

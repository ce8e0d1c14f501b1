// @threadline/capture: the audit schema, capture generation and deployment, and the install / gen-triggers /
// migrate commands (they come with ThreadlineCaptureModule). What every lib shares (errors, SQL quoting, event
// channels, the CLI kit) is imported from @threadline/core, which this package no longer re-exports.
export { ThreadlineCaptureModule } from './capture.module';
export type { CaptureOptions, TableCaptureOptions } from './capture.options';
export { CaptureService } from './capture.service';
export type { GeneratedMigration, MigrationOutcome, TriggerSqlRequest, WriteOptions } from './capture.service';
export type { SnapshotSql } from './trigger/snapshot-sql';
export type { DdlFollowUp } from './catalog/ddl-follow-up';
export { currentAuditTransactionId } from './schema/current-transaction';
export { AUDIT_SCHEMA_VERSION } from './schema/audit-schema.sql';
export * from './capture.errors';

// Internal: for the other @threadline packages (actor, retention, health, export, nestjs) and their tests.
// Not part of the public API (@threadline/nestjs re-exports none of it); any release may change it.
export { THREADLINE_CAPTURE_OPTIONS } from './capture.constants';
export { AUDIT_TABLES, ARCHIVE_PUBLICATION_TABLES } from './capture.service';
export {
  parseTableName,
  captureOptionProblems,
  resolveCaptureOptions,
  tableOptionsFor,
  type ResolvedCaptureOptions,
  type ResolvedTableCaptureOptions,
} from './capture.options';
export { describeTables } from './catalog/catalog.reader';
export type { TableDescription, ColumnDescription } from './catalog/table-description';
export { readDeployedCapture, unreadableReason, type DeployedCapture } from './catalog/deployed-capture';
export { captureDifferences } from './catalog/capture-differences';
export {
  ACTOR_SETTING,
  CORRELATION_SETTING,
  REQUEST_SETTING,
  TRACE_SETTING,
  TRACEPARENT_PATTERN,
  RECORD_ACTION_FUNCTION,
  ACTION_NAME_MAX_LENGTH,
  auditQueryIndexesSql,
  auditSchemaSql,
  LEGAL_HOLDS_TABLE,
  PARTITIONING_TABLE,
  PARTITIONS_FUNCTION,
  PARTITIONS_MAINTAIN_FUNCTION,
  PURGE_PARTITION_FUNCTION,
  UNPROVEN_ACTIONS_TABLE,
  DETACHED_COMMENT,
  UPGRADE_COMMENT,
  PARTITION_UPGRADE_TABLE,
  PARTITION_UPGRADE_FUNCTIONS,
} from './schema/audit-schema.sql';
export {
  PartitioningOptions,
  PartitionInterval,
  PARTITION_INTERVALS,
  PARTITIONS_AHEAD,
  DEFAULT_PARTITION_SCHEDULE,
  ResolvedPartitioning,
  validCron,
} from './partitions/partitioning.options';
export { PartitionsService, MIN_INTERVALS_AHEAD } from './partitions/partitions.service';
export { PartitionsScheduler, PARTITIONS_JOB_NAME } from './partitions/partitions.scheduler';
export { PartitionUpgradeService, PartitionUpgradeRequest } from './partitions/partition-upgrade.service';
export {
  PartitionStatus,
  PartitionedTableStatus,
  PartitionMaintenanceResult,
  PartitionUpgradeResult,
} from './partitions/partitions.types';
export {
  SEAL_FUNCTION,
  SEALS_TABLE,
  CHECKPOINTS_TABLE,
  PURGED_TABLE,
  SEAL_TREE_TABLE,
  TREE_GROW_FUNCTION,
  RECORD_PURGE_FUNCTION,
  SEAL_LOCK_TIMEOUT_SECONDS,
  SEAL_FORMAT,
  SEAL_FORMAT_LARGE,
  openBaselineSql,
  ledgerHashSql,
  changeDigestSql,
  verifyDigestSql,
  sealContentSql,
  sealContentForSql,
  chainStepSql,
  chainLinkText,
  sealLeafData,
  changeTextSql,
  transactionTextSql,
  actionsDigestSql,
  largeChangeHashSql,
  changeHashSql,
  TREE_STORED_LEVEL,
  purgeContentSql,
  sealHeadSql,
} from './schema/seal.sql';
export { archiveSql, sealCommitted, type SealRunner } from './schema/seal-committed';
export { LEASES_TABLE, Lease, type LeaseHeld } from './schema/lease';
export { TRIGGER_PREFIX, triggerNamesFor } from './trigger/trigger-names';
export { generateTriggerSql, type GeneratedSql } from './trigger/trigger-sql.generator';
export type { TriggerStamp } from './trigger/trigger-stamp';
export { BASELINE_SOURCE } from './trigger/snapshot-sql';

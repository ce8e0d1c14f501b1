// @threadline/nestjs: what an app using Threadline imports, named one by one (libs/nestjs/nestjs.api.md
// lists it; `npm test` fails when it changes without that report). The modules and their options, the
// services an app injects, the actor bridge, the errors an app catches, the event channels, and the
// helpers the README and docs/ tell an app to call. What the libs share among themselves (SQL builders,
// option resolvers, command classes, controllers, tokens) stays in their own packages and is not
// re-exported here. The commands come with the modules: an app mounts none by hand.

// The module, its options and each feature module on its own
export { ThreadlineModule } from './threadline.module';
// the check forRoot and forRootAsync run at boot, for a unit test of an app's options: throws one error listing every problem
export { checkThreadlineOptions, type ThreadlineModuleOptions } from './threadline.options';
export type { ThreadlineModuleAsyncOptions } from './threadline.module-definition';
export { ThreadlineCaptureModule } from '@threadline/capture';
export type { CaptureOptions, TableCaptureOptions } from '@threadline/capture';
export { ThreadlineActorModule } from '@threadline/actor';
export type { ActorOptions, ResolvedActor } from '@threadline/actor';
export { ThreadlineRetentionModule } from '@threadline/retention';
export type { RetentionOptions, TableRetentionWindow } from '@threadline/retention';
export { ThreadlineProofModule } from '@threadline/proof';
export type { ProofOptions, IntegrityOptions, IntegrityPolicy } from '@threadline/proof';
export { ThreadlineHealthModule } from '@threadline/health';
export { ThreadlineBaselineModule } from '@threadline/baseline';
export type { HealthOptions, CoveragePolicy, TableName } from '@threadline/health';
export { ThreadlineQueryModule } from '@threadline/query';
export { ThreadlineExportModule } from '@threadline/export';
export { ThreadlineOperatorModule } from '@threadline/operator';
export type { OperatorOptions } from '@threadline/operator';
export type { CliOptions } from '@threadline/core';

// Who is acting: actor refs, request and job context, recorded actions
export { ActorRef, IsActorRef, InvalidActorError } from '@threadline/actor';
export type { ActorRefProblem, JobContextPayload, ContextState } from '@threadline/actor';
export type { ActorType } from '@threadline/core';
export { ThreadlineContext, ThreadlineJob, ThreadlineContextMiddleware } from '@threadline/actor';
export { ActionRecorder, MissingActorError, InvalidActionError, InvalidJobPayloadError } from '@threadline/actor';
export type { RecordActionOptions, RecordedAction } from '@threadline/actor';
export { currentAuditTransactionId } from '@threadline/capture';

// Capture: the service behind install / gen-triggers, and the audit schema's version
export { CaptureService, AUDIT_SCHEMA_VERSION, ARCHIVE_PUBLICATION_TABLES } from '@threadline/capture';
export type {
  GeneratedMigration,
  MigrationOutcome,
  TriggerSqlRequest,
  WriteOptions,
  SnapshotSql,
} from '@threadline/capture';

// Exploration and export
export { AuditQueryService, changeDiff } from '@threadline/query';
export { ExportService } from '@threadline/export';
export {
  DeletedRecordError,
  BeforeAuditHorizonError,
  InvalidQueryError,
  InvalidFilterError,
  InvalidPageError,
  InvalidRecordError,
} from '@threadline/query';
export { InvalidExportOptionError } from '@threadline/export';
export type {
  AuditAction,
  AuditChange,
  AuditTransaction,
  ChangeDiff,
  Page,
  PageOptions,
  TimelineFilters,
} from '@threadline/query';
export type { ExportFormat, ExportOptions, ExportResult, ExportManifest } from '@threadline/export';
// values as stored: a number that would not round-trip through a JavaScript number
export { LosslessNumber, isLosslessNumber } from '@threadline/core';

// Retention
export {
  RetentionService,
  RetentionError,
  LegalHoldService,
  InvalidLegalHoldError,
  LegalHoldUnreadableError,
} from '@threadline/retention';
export type {
  PurgeOptions,
  PurgeProgress,
  PurgeRefused,
  PurgeResult,
  PurgeSummary,
  LegalHold,
  LegalHoldRequest,
  LegalHoldRelease,
  HoldKept,
} from '@threadline/retention';

// Health, coverage, continuity
export {
  CoverageService,
  RedactionPolicyService,
  ThreadlineCoverageIndicator,
  ContinuityService,
  ExpectedTableMissingError,
} from '@threadline/health';
export type {
  CoverageReport,
  TableCoverage,
  TableRedaction,
  RedactionStatus,
  TableContinuity,
} from '@threadline/health';

// Baselines: history for the rows that existed before capture
export { BaselineService, BaselineError } from '@threadline/baseline';
export type { BaselineOptions, BaselineProgress, BaselineResult } from '@threadline/baseline';

// Tamper evidence: integrity (the hash chain and its tree), signed checkpoints, offline proofs, completeness
export {
  IntegrityService,
  IntegrityError,
  CompletenessService,
  CompletenessError,
  CheckpointService,
  ProofService,
  ProofError,
  ProofUnavailableError,
  CheckpointsOffError,
  CheckpointConflictError,
  CheckpointKeyError,
  TreeNodeMissingError,
  verifyProof,
  readVerifier,
  readKeptCheckpoints,
} from '@threadline/proof';
export type {
  CheckpointOptions,
  CheckpointSink,
  CheckpointStatus,
  SignedCheckpoint,
  ProofFile,
  ProofCheck,
  ProofTarget,
  KeptCheckpoint,
  IntegrityReport,
  IntegrityProblem,
  VerifyIntegrityOptions,
  CompletenessOptions,
  CompletenessReport,
  CompletenessGap,
  TableCompleteness,
} from '@threadline/proof';

// The OpenAPI response schemas of the audit routes, for an app's own documents (docs/operator-surface.md)
export {
  ActorRefSchema,
  AuditChangeSchema,
  AuditChangeWithDiffSchema,
  AuditTransactionSchema,
  ChangeDiffSchema,
  ChangePageSchema,
  ErrorSchema,
  HistoryPageSchema,
  TransactionChangesSchema,
} from '@threadline/operator';

// The error every Threadline error extends, the one a bad configuration stops the app with, and the one
// CaptureService (install, gen-triggers) refuses a configuration the catalog cannot capture with
export { ThreadlineError, InvalidOptionsError, CaptureConfigError } from '@threadline/core';

// Events, on node:diagnostics_channel
export { threadlineEvents, THREADLINE_EVENT_NAMES } from '@threadline/core';
export type {
  ActionRecordedEvent,
  TransactionCommittedEvent,
  HealthCheckedEvent,
  HealthErrorEvent,
  RetentionBatchEvent,
  RetentionPurgedEvent,
  ExportFinishedEvent,
  BaselineBatchEvent,
} from '@threadline/core';

// OpenTelemetry (docs/observability.md): the metrics and spans, and the bridge ThreadlineModule starts at boot
export { THREADLINE_METRICS, THREADLINE_SPANS, startThreadlineMetrics } from '@threadline/core';
export type { ThreadlineMetric, ThreadlineSpan } from '@threadline/core';

// The CLI entry point's logger (README: "The commands in your app")
export { CliLogger } from '@threadline/core';

// @threadline/core: what every Threadline lib shares; it depends on no other Threadline lib.
// What an app meets: the errors every Threadline error extends, the event channels, the CLI entry point's
// logger, lossless numbers in stored values, and the actor rule. @threadline/nestjs re-exports these.
export * from './core.errors';
export * from './events/threadline-events';
export { CliLogger } from './cli/cli-logger';
export type { CliOptions } from './cli/cli-command';
export { LosslessNumber, isLosslessNumber } from './sql/stored-json';
export { ACTOR_RULE, ACTOR_TYPES, type ActorType } from './actor/actor-rules';
export { THREADLINE_METRICS, type ThreadlineMetric, startThreadlineMetrics } from './telemetry/threadline-metrics';
export { THREADLINE_SPANS, type ThreadlineSpan } from './telemetry/threadline-spans';

// Internal: the kit the other @threadline packages are built with (options problems, SQL quoting and
// parameters, timestamps, stored JSON, audit table names, the transaction-id cache, the CLI kit). Not part
// of the public API (@threadline/nestjs re-exports none of it); any release may change it.
export { gotText, privilegeMessage } from './core.messages';
export * from './validate-options';
export * from './iso-timestamp';
export * from './sql/quote';
export * from './sql/params';
export * from './sql/iso-utc';
export * from './sql/audit-tables';
export {
  auditSchemaSetting,
  transactionCacheSetting,
  cachedTransactionSql,
  transactionCacheValueSql,
  transactionCacheMatchesSql,
  cachedTransactionIdSql,
  cachedTransactionId,
} from './sql/transaction-cache';
export { parseStoredJson, stringifyStoredJson } from './sql/stored-json';
export { commandOutput, parseList, ProgressLine } from './cli/command-output';
export * from './cli/command-flags';
export { useCliCommand, cliCommandLine, cliCommand, cliOptionsProblems } from './cli/cli-command';
export {
  ACTOR_ID_MAX_LENGTH,
  CONTEXT_ID_MAX_BYTES,
  ACTOR_ID_TRIM_CLASS,
  actorIdLength,
  wholeNumberId,
} from './actor/actor-rules';
export * from './nest/scheduler-registry';
export { publish } from './events/publish';
export { logLine, logfmt, type LogFields } from './log/log-line';
export {
  inSpan,
  startSpan,
  traced,
  errorType,
  openTelemetry,
  TELEMETRY_SCOPE,
  type TelemetryAttributes,
  type TelemetrySpan,
} from './telemetry/open-telemetry';

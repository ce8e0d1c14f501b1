import { ident, literal, qualified } from '@threadline/core';
import { InvalidPartitioningError } from '../capture.errors';
import { PartitioningOptions, partitioningProblems, resolvePartitioning } from '../partitions/partitioning.options';
import { captureFunctionsSql, dropCaptureFunctionsSql } from './capture-functions.sql';
import { installSql } from './install-sql';
import { dropLeaseSchemaSql, leaseSchemaSql } from './lease';
import { dropSealSchemaSql, sealSchemaSql } from './seal.sql';

// The install SQL itself is in libs/capture/sql (sql/README.md): this file
// names what the application and the SQL share and puts the files together.

export const TRANSACTION_FUNCTION = 'threadline_transaction_id';

/** Settings the application sets per transaction (`set_config(name, value, true)`) and the trigger reads. */
export const ACTOR_SETTING = 'threadline.actor_ref';
export const CORRELATION_SETTING = 'threadline.correlation_id';
export const REQUEST_SETTING = 'threadline.request_id';
/** The W3C traceparent of the request or job (schema v9): its trace and span ids go in the transaction's `meta`. */
export const TRACE_SETTING = 'threadline.traceparent';
/**
 * The form of TRACE_SETTING's value the install SQL accepts (002, checked by install-sql.spec): a W3C traceparent
 * of version 00, lower-case; neither id may be all zeros besides.
 */
export const TRACEPARENT_PATTERN = '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';
/**
 * The actor setting's text when the transaction's audit row was created: a later statement under
 * another actor is refused, since a transaction records one actor (transaction-local).
 */
export const TRANSACTION_ACTOR_SETTING = 'threadline.transaction_actor';
/** Records an action (`audit_actions`) with the owner's rights: the app's role holds EXECUTE on it, not INSERT. */
export const RECORD_ACTION_FUNCTION = 'threadline_record_action';

/**
 * Bumped when the install SQL changes; part of the install migration's
 * marker (docs/schema-changes.md says what else a change takes).
 */
export const AUDIT_SCHEMA_VERSION = 14;

/** Legal holds (schema v11, 016): filters whose changes no purge deletes while the hold is in force. */
export const LEGAL_HOLDS_TABLE = 'audit_legal_holds';

/** Partitioned storage (schema v12, 001b and 017): the interval it was installed with, one row. */
export const PARTITIONING_TABLE = 'audit_partitioning';
/** `threadline_partitions()`: every partition of the two partitioned audit tables, with its bounds. */
export const PARTITIONS_FUNCTION = 'threadline_partitions';
/** `threadline_partitions_maintain()`: creates the partitions now and ahead (owner's rights); returns how many. */
export const PARTITIONS_MAINTAIN_FUNCTION = 'threadline_partitions_maintain';
/** Actions purges before v13 left behind without their transaction, moved out of the log by the v13 install (018). */
export const UNPROVEN_ACTIONS_TABLE = 'audit_actions_unproven';
/**
 * The comment a range detached by retention (`retention.partitions: 'detach'`) carries on its tables, which are no
 * longer part of the log: coverage does not count them as the app's (018 writes it, COVERAGE_SQL reads it).
 */
export const DETACHED_COMMENT = 'threadline: detached audit range';
/** `threadline_purge_partition(from, cutoff, detach)` (v13, 018): drops or detaches one range of both tables, recording it in the purge ledger. */
export const PURGE_PARTITION_FUNCTION = 'threadline_purge_partition';
/**
 * `partitions upgrade` (v14, 019): moves an unpartitioned log into partitioned storage while the app writes. Its
 * progress row lives in this table while an upgrade is under way; the step functions follow.
 */
export const PARTITION_UPGRADE_TABLE = 'audit_partition_upgrade';
export const PARTITION_UPGRADE_FUNCTIONS = {
  start: 'threadline_partition_upgrade_start',
  copy: 'threadline_partition_upgrade_copy',
  finish: 'threadline_partition_upgrade_finish',
  abort: 'threadline_partition_upgrade_abort',
} as const;
/**
 * The comment of the tables an upgrade works with besides the log (the copies and the progress row while it runs,
 * the old tables after it): coverage does not count them as the app's.
 */
export const UPGRADE_COMMENT = 'threadline: partitioning upgrade';
/** `threadline_partitioning_set(interval, ahead)`: what the install records. */
export const PARTITIONING_SET_FUNCTION = 'threadline_partitioning_set';

/**
 * Indexes for the exploration queries (timeline by time, table, actor and
 * correlation; row history; actor history). They make those queries use an
 * index at any size, and cost every audited write (see docs/capture-cost.md
 * and docs/audit-indexing.md); `capture.queryIndexes: false` leaves them out for write-heavy
 * deployments that only stream exports.
 */
export function auditQueryIndexesSql(auditSchema: string): string {
  return installSql(auditSchema, '014-query-indexes');
}

/**
 * The install migration (`up`, idempotent: it also upgrades an earlier
 * version in place) and its reverse (`down`): the files of sql/ in order.
 * Only two things vary besides the schema's name: `public` is not created,
 * and `queryIndexes: false` leaves out 014-query-indexes.sql.
 */
export function auditSchemaSql(
  auditSchema: string,
  options: { queryIndexes?: boolean; partitioning?: Pick<PartitioningOptions, 'interval' | 'ahead'> | null } = {},
): { up: string; down: string } {
  const createSchema = auditSchema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS ${ident(auditSchema)};\n`;
  const problems = options.partitioning ? partitioningProblems(options.partitioning, 'partitioning') : [];
  if (problems.length) throw InvalidPartitioningError.forInstall(problems);
  const partitioning = options.partitioning ? resolvePartitioning(options.partitioning) : null;
  const up = [
    `-- Threadline audit schema\n${createSchema}`,
    installSql(auditSchema, '001-tables'),
    partitioning ? installSql(auditSchema, '001b-partitioned-tables') : '',
    installSql(auditSchema, '002-transaction-function', '003-record-action'),
    `\n${sealSchemaSql(auditSchema)}\n`,
    leaseSchemaSql(auditSchema),
    `${captureFunctionsSql(auditSchema)}\n`,
    options.queryIndexes === false ? '' : auditQueryIndexesSql(auditSchema),
    installSql(
      auditSchema,
      '015-regenerate-older-capture',
      '016-legal-holds',
      '017-partitions',
      '018-partition-purge',
      '019-partition-upgrade',
    ),
    partitioning ? partitioningSetSql(auditSchema, partitioning) : '',
  ].join('');
  const down = [
    installSql(auditSchema, 'down/000-legal-holds', 'down/000-partitions'),
    dropCaptureFunctionsSql(auditSchema),
    dropLeaseSchemaSql(auditSchema),
    dropSealSchemaSql(auditSchema),
    installSql(auditSchema, 'down/004-tables'),
  ].join('');
  return { up, down };
}

/**
 * With `capture.partitioning`: records the interval (refused if partitions of another interval exist) and
 * creates the partitions of now and the intervals ahead, so capture writes to a range partition from the start.
 */
function partitioningSetSql(auditSchema: string, partitioning: { interval: string; ahead: number }): string {
  return [
    `-- capture.partitioning: ${partitioning.interval}, ${partitioning.ahead} ahead`,
    `SELECT ${qualified(auditSchema, PARTITIONING_SET_FUNCTION)}(${literal(partitioning.interval)}, ${Number(partitioning.ahead)});`,
    `SELECT ${qualified(auditSchema, PARTITIONS_MAINTAIN_FUNCTION)}();\n`,
  ].join('\n');
}

/** The longest action name, verb and category `threadline_record_action` accepts (characters). */
export const ACTION_NAME_MAX_LENGTH = 200;
/** The longest reason and comment `threadline_record_action` accepts (characters). */
export const ACTION_TEXT_MAX_LENGTH = 10_000;

import { cliCommand, CommandUsageError, gotText, privilegeMessage, ThreadlineError } from '@threadline/core';

/**
 * A purge request that cannot be honoured. Catch this one for any retention
 * failure; each kind below extends it.
 */
export class RetentionError extends ThreadlineError {}

/** The cutoff given to a purge is not a timestamp, or is newer than the policy allows. */
export class InvalidCutoffError extends RetentionError {
  static notATimestamp(cutoff: unknown): InvalidCutoffError {
    return new InvalidCutoffError(
      `retention: cutoff must be a Date or an ISO 8601 date or timestamp such as 2026-01-31T00:00:00Z ${gotText(cutoff)}`,
    );
  }

  static tooNew(given: string, policyCutoff: string): InvalidCutoffError {
    return new InvalidCutoffError(
      `retention: cutoff ${given} is newer than the policy allows (${policyCutoff}); only a stricter (older) cutoff may be given`,
    );
  }
}

/** A purge's batchSize or maxBatches is not a positive integer. */
export class InvalidPurgeLimitError extends RetentionError {
  static create(name: string, value: unknown): InvalidPurgeLimitError {
    return new InvalidPurgeLimitError(`retention: ${name} must be a positive integer ${gotText(value)}`);
  }
}

/** Another purge took over this purge's expired lease; this one stopped after a whole batch. */
export class PurgeLeaseLostError extends RetentionError {
  static create(batches: number): PurgeLeaseLostError {
    return new PurgeLeaseLostError(
      `retention purge lost its lease after ${batches} batches (it expired and another purge took it over); ` +
        'stopped here: every deleted change went with its transaction, and the other purge carries on',
    );
  }
}

/** The connected role may not delete audit rows: what it needs and who to run the purge as. */
export class PurgePrivilegeError extends RetentionError {
  static create(
    tables: { changes: string; transactions: string; leases: string; recordPurge: string },
    error: unknown,
  ): PurgePrivilegeError {
    return new PurgePrivilegeError(
      privilegeMessage(
        'retention purge',
        `DELETE on ${tables.changes} and ${tables.transactions}, INSERT, UPDATE and DELETE on ${tables.leases}, EXECUTE on threadline_seal and ${tables.recordPurge}`,
        `run ${cliCommand('retention purge --execute')} connected as the audit tables' owner, or schedule it in a process that connects as the owner`,
        error,
      ),
    );
  }
}

/** A purge that ended without running (not configured, disabled, busy), as the CLI reports it. */
export class PurgeNotCompletedError extends RetentionError {
  static create(status: string, reason: string): PurgeNotCompletedError {
    return new PurgeNotCompletedError(`retention purge ${status}: ${reason}`);
  }
}

/** `retention purge` needs exactly one of --dry-run or --execute. */
export class PurgeModeError extends CommandUsageError {
  static both(): PurgeModeError {
    return new PurgeModeError('choose one of --dry-run or --execute');
  }

  static neither(): PurgeModeError {
    return new PurgeModeError(
      'refusing to delete without --execute; run with --dry-run first to see what would be deleted',
    );
  }
}

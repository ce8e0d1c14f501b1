import { cliCommand, CommandUsageError, gotText, privilegeMessage, ThreadlineError } from '@threadline/core';
import { TIMELINE_FILTERS } from '@threadline/query';

/** The filters by their name in code (TimelineFilters) and as CLI flags. */
const FILTER_KEYS = TIMELINE_FILTERS.map((f) => f.key).join(', ');
const FILTER_FLAGS = TIMELINE_FILTERS.map((f) => `--${f.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(
  ', ',
);
/** A hold's text fields and their CLI flags. */
const FLAG_OF: Record<string, string> = { reason: '--reason', heldBy: '--by', releasedBy: '--by' };

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

  static zoneless(given: string): InvalidCutoffError {
    return new InvalidCutoffError(
      `retention: cutoff ${given} names no time zone, so the session's TimeZone would decide which instant it is; add one, such as ${given.length === 10 ? `${given}T00:00:00Z` : `${given}Z`}`,
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
    tables: {
      changes: string;
      transactions: string;
      actions: string;
      leases: string;
      recordPurge: string;
      holds: string;
      purgePartition: string;
    },
    error: unknown,
  ): PurgePrivilegeError {
    return new PurgePrivilegeError(
      privilegeMessage(
        'retention purge',
        `DELETE on ${tables.changes}, ${tables.transactions} and ${tables.actions}, INSERT, UPDATE and DELETE on ${tables.leases}, UPDATE on ${tables.holds} (to lock the legal holds while a batch runs), EXECUTE on threadline_seal and ${tables.recordPurge}, and on partitioned storage ownership of the partitions (to drop them) and EXECUTE on ${tables.purgePartition}`,
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

/** A legal hold that cannot be set or released as asked: what is wrong and what is allowed. */
export class InvalidLegalHoldError extends RetentionError {
  static noFilter(): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `a legal hold needs at least one filter (${FILTER_KEYS}; on the command line ${FILTER_FLAGS}), as the timeline takes them; to hold every change, give a from with its zone before the oldest change`,
    );
  }

  static notStorable(filters: Record<string, string>): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `a legal hold with filters ${JSON.stringify(filters)} would not read back the same (a table name with a dot or quote?); name the table's rows by another filter`,
    );
  }

  static text(name: string, value: unknown, max: number): InvalidLegalHoldError {
    const shown = typeof value === 'string' && value.length > 80 ? `(${value.length} characters)` : gotText(value);
    return new InvalidLegalHoldError(
      `a legal hold's ${name} (${FLAG_OF[name] ?? name}) must be non-blank text of at most ${max} characters, on one line without control characters ${shown}`,
    );
  }

  static required(name: string): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `a legal hold's ${name} is required (${FLAG_OF[name] ?? name} on the command line)`,
    );
  }

  static zoneless(bound: 'from' | 'to', value: string): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `a legal hold's ${bound} must name its time zone, such as 2026-03-31T23:59:59.999999Z or 2026-04-01T00:00:00+02:00 ${gotText(value)}; ` +
        'without one each purge would read it in its own session time zone',
    );
  }

  static id(value: unknown): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `a legal hold's id is a positive integer, as \`retention holds\` lists them ${gotText(value)}`,
    );
  }

  static notFound(id: string): InvalidLegalHoldError {
    return new InvalidLegalHoldError(`there is no legal hold ${id}; \`retention holds --all\` lists every hold`);
  }

  static alreadyReleased(hold: { id: string; released?: { at: string; by: string } }): InvalidLegalHoldError {
    return new InvalidLegalHoldError(
      `legal hold ${hold.id} was already released at ${hold.released?.at} by ${hold.released?.by}; a released hold stays as it is`,
    );
  }
}

/** A stored legal hold the timeline's filters cannot read: no purge runs until it is fixed. */
export class LegalHoldUnreadableError extends RetentionError {
  static create(id: string, why: string): LegalHoldUnreadableError {
    return new LegalHoldUnreadableError(
      `retention purge refused: legal hold ${id} in audit_legal_holds cannot be read as timeline filters (${why}); ` +
        'nothing was deleted. Release it and set it again with `retention hold`, or fix its filters as the owner',
    );
  }
}

/** The connected role may not write legal holds: what it needs and whom to run as. */
export class LegalHoldPrivilegeError extends RetentionError {
  static create(table: string, error: unknown): LegalHoldPrivilegeError {
    return new LegalHoldPrivilegeError(
      privilegeMessage(
        'setting or releasing a legal hold',
        `INSERT and UPDATE on ${table}`,
        `run ${cliCommand('retention hold')} or ${cliCommand('retention release-hold')} connected as the audit tables' owner`,
        error,
      ),
    );
  }
}

/** The audit schema predates legal holds (v11): its install migration has not run. */
export class LegalHoldSchemaError extends RetentionError {
  static create(table: string): LegalHoldSchemaError {
    return new LegalHoldSchemaError(
      `${table} does not exist: the audit schema predates legal holds (schema v11); run ${cliCommand('install')} to write its migration, then your migrations`,
    );
  }
}

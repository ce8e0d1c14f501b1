import { cliCommand, CommandUsageError, gotText, privilegeMessage, ThreadlineError } from '@threadline/core';

// Every failure of the baseline lib: one class per kind, each message written once here, by a static factory.

/** A baseline cannot run. Catch this one for any of the kinds below. */
export class BaselineError extends ThreadlineError {}

/** A baseline's batchSize or maxBatches is out of range. */
export class InvalidBaselineOptionsError extends BaselineError {
  static batchSize(got: unknown): InvalidBaselineOptionsError {
    return new InvalidBaselineOptionsError(`batchSize must be an integer from 1 to 100000 ${gotText(got)}`);
  }

  static maxBatches(got: unknown): InvalidBaselineOptionsError {
    return new InvalidBaselineOptionsError(`maxBatches must be a positive integer ${gotText(got)}`);
  }
}

/** The table cannot take a baseline yet: it does not exist, is not captured, or its deployed redaction differs from the config. */
export class TableNotReadyForBaselineError extends BaselineError {
  static notATable(table: string): TableNotReadyForBaselineError {
    return new TableNotReadyForBaselineError(`${table} is not a table in the database`);
  }

  static notCaptured(table: string, missingTriggers: string[]): TableNotReadyForBaselineError {
    return new TableNotReadyForBaselineError(
      `${table} has no Threadline triggers (missing: ${missingTriggers.join(', ')}); run ${cliCommand('gen-triggers')} and your migrations first, or writes made during the baseline would go unrecorded`,
    );
  }

  static redactionDiffers(table: string, label: string, why: string | undefined): TableNotReadyForBaselineError {
    return new TableNotReadyForBaselineError(
      `${table}: ${label} (${why}); regenerate its triggers first, so snapshots are redacted exactly as its changes are`,
    );
  }
}

/** audit_changes predates baselines and refuses op 'snapshot': the ALTER that allows it. */
export class SnapshotNotAllowedError extends BaselineError {
  static create(table: string, changes: string): SnapshotNotAllowedError {
    return new SnapshotNotAllowedError(
      `${table}: audit_changes does not accept op 'snapshot' (its audit schema predates baselines). Allow it with:\n` +
        `  ALTER TABLE ${changes} DROP CONSTRAINT audit_changes_op_check, ADD CONSTRAINT audit_changes_op_check CHECK (op IN ('insert', 'update', 'delete', 'snapshot'));`,
    );
  }
}

/** The connected role may not write a baseline: what it needs and who to run it as. */
export class BaselinePrivilegeError extends BaselineError {
  static create(
    table: string,
    objects: { changes: string; transactions: string; leases: string },
    error: unknown,
  ): BaselinePrivilegeError {
    return new BaselinePrivilegeError(
      privilegeMessage(
        'baseline',
        `INSERT on ${objects.changes} and ${objects.transactions}, UPDATE on ${objects.transactions} and INSERT, UPDATE and DELETE on ${objects.leases}`,
        `run ${cliCommand(`baseline --table ${table} --execute`)} connected as the audit tables' owner`,
        error,
      ),
    );
  }
}

/** Another baseline of the same tables holds their lease; nothing was written for them. */
export class BaselineBusyError extends BaselineError {
  static create(tables: string[]): BaselineBusyError {
    return new BaselineBusyError(`another baseline of ${tables.join(', ')} is running; nothing written for it`);
  }
}

/** The baseline command was called wrongly: what it needs. */
export class BaselineUsageError extends CommandUsageError {
  static baselineNeedsTable(): BaselineUsageError {
    return new BaselineUsageError(
      'baseline needs --table NAME (repeatable): the tables whose existing rows get a snapshot',
    );
  }

  static executeAndDryRun(): BaselineUsageError {
    return new BaselineUsageError(
      '--execute and --dry-run contradict each other; without --execute the baseline is a dry run',
    );
  }
}

import { privilegeMessage, ThreadlineError } from '@threadline/core';

/** Sealing or verifying the hash chain cannot proceed. Catch this one for any of the kinds below. */
export class IntegrityError extends ThreadlineError {}

/** A head kept outside the database is not `<seal number>:<chain sha256>`. */
export class InvalidKeptHeadError extends IntegrityError {
  static create(text: string): InvalidKeptHeadError {
    return new InvalidKeptHeadError(
      `a kept head is <seal number>:<chain sha256, 64 hex digits>, such as 42:${'0'.repeat(64)} (got ${JSON.stringify(text)})`,
    );
  }
}

/** `verify`'s options are not usable: a bad timestamp, or options that contradict each other. */
export class InvalidVerifyOptionsError extends IntegrityError {
  static notATimestamp(key: string, value: unknown): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      `${key} must be an ISO 8601 date or timestamp such as 2026-01-31T00:00:00Z (got ${JSON.stringify(value)})`,
    );
  }

  static afterHeadWithFrom(): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      'afterHead and from cannot be combined: afterHead already says where the check starts',
    );
  }

  static afterHeadWithKeptHead(): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      'afterHead and keptHead cannot be combined: afterHead checks the head it starts from',
    );
  }
}

/** Another session holds the sealer's lock; the sealer's own message says who and since when. */
export class SealBusyError extends IntegrityError {
  static from(error: unknown): SealBusyError {
    return new SealBusyError((error as Error).message);
  }
}

/** The connected role may not seal: what it needs and the GRANT that gives it. */
export class SealPrivilegeError extends IntegrityError {
  static create(
    objects: { sealFunction: string; seals: string; checkpoints: string },
    error: unknown,
  ): SealPrivilegeError {
    return new SealPrivilegeError(
      privilegeMessage(
        'sealing the audit log',
        `EXECUTE on ${objects.sealFunction}(int) and SELECT on ${objects.seals} and ${objects.checkpoints}`,
        `grant them to the app's role (GRANT EXECUTE ON FUNCTION ${objects.sealFunction}(int) TO <role>)`,
        error,
      ),
    );
  }
}

/** A completeness check cannot run. */
export class CompletenessError extends ThreadlineError {}

/** A completeness check's batchSize is out of range, or it has no table to check. */
export class InvalidCompletenessOptionsError extends CompletenessError {
  static batchSize(got: unknown): InvalidCompletenessOptionsError {
    return new InvalidCompletenessOptionsError(
      `batchSize must be a whole number from 1 to 100000 (got ${JSON.stringify(got)})`,
    );
  }

  static noTables(): InvalidCompletenessOptionsError {
    return new InvalidCompletenessOptionsError(
      'no tables to check: pass tables (--table NAME) or list tables under capture.tables',
    );
  }
}

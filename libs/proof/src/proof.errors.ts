import { gotText, privilegeMessage, ThreadlineError } from '@threadline/core';

/** Sealing or verifying the hash chain cannot proceed. Catch this one for any of the kinds below. */
export class IntegrityError extends ThreadlineError {}

/** A head kept outside the database is not `<seal number>:<chain sha256>`. */
export class InvalidKeptHeadError extends IntegrityError {
  static create(text: string): InvalidKeptHeadError {
    return new InvalidKeptHeadError(
      `a kept head is <seal number>:<chain sha256, 64 hex digits>, such as 42:${'0'.repeat(64)} ${gotText(text)}`,
    );
  }
}

/** `verify`'s options are not usable: a bad timestamp, or options that contradict each other. */
export class InvalidVerifyOptionsError extends IntegrityError {
  static notATimestamp(key: string, value: unknown): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      `${key} must be an ISO 8601 date or timestamp such as 2026-01-31T00:00:00Z ${gotText(value)}`,
    );
  }

  static afterHeadWithFrom(): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      'afterHead and from cannot be combined: afterHead already says where the check starts',
    );
  }

  static checkpointsNeedWholeChain(): InvalidVerifyOptionsError {
    return new InvalidVerifyOptionsError(
      'checkpoints cannot be combined with from, to or afterHead: a checkpoint is checked by rebuilding the tree from the first seal',
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
    return new InvalidCompletenessOptionsError(`batchSize must be a whole number from 1 to 100000 ${gotText(got)}`);
  }

  static noTables(): InvalidCompletenessOptionsError {
    return new InvalidCompletenessOptionsError(
      'no tables to check: pass tables (--table NAME) or list tables under capture.tables',
    );
  }
}

/** A checkpoint or a proof cannot be made: a key, a sink, or a tree that does not hold what was asked. */
export class ProofError extends ThreadlineError {}

/** A leaf or tree size outside the tree asked about (a caller's mistake, never the data's). */
export class TreeRangeError extends ProofError {
  static leafOutside(index: number, size: number): TreeRangeError {
    return new TreeRangeError(`leaf ${index} is not in a tree of ${size} leaves (leaves are numbered from 0)`);
  }

  static notPrefix(m: number, n: number): TreeRangeError {
    return new TreeRangeError(
      `a tree of ${m} leaves is not a prefix of a tree of ${n}: the first size must be from 0 to the second`,
    );
  }
}

/** The checkpoint signing or verifier key is missing, unreadable, or not Ed25519. */
export class CheckpointKeyError extends ProofError {
  static notEd25519(what: string, type: string | undefined): CheckpointKeyError {
    return new CheckpointKeyError(
      `${what} is a ${type ?? 'unknown'} key; checkpoints are signed with Ed25519 (make one with: openssl genpkey -algorithm ed25519 -out checkpoint-key.pem)`,
    );
  }

  static unreadable(what: string, error: unknown): CheckpointKeyError {
    return new CheckpointKeyError(
      `${what} cannot be read as a key: ${error instanceof Error ? error.message : String(error)}. Give a PKCS#8 PEM Ed25519 private key (openssl genpkey -algorithm ed25519), or to verify, the verifier key text that public-key prints (<name>+<id>+<key>)`,
    );
  }

  static namesNoLog(what: string): CheckpointKeyError {
    return new CheckpointKeyError(
      `${what} is a PEM key, which names no log: a checkpoint of another log signed with the same key would pass. Verify with the verifier key text that public-key prints (<origin>+<key id>+<key>), which names the log`,
    );
  }
}

/** The database's tree lacks a node a root or proof needs (seals deleted, or the tree table edited). */
export class TreeNodeMissingError extends ProofError {
  static create(level: number, index: number, table: string): TreeNodeMissingError {
    return new TreeNodeMissingError(
      `the Merkle tree in the database lacks node ${level}/${index} (${level < 4 ? `a seal from ${index * 2 ** level + 1} to ${(index + 1) * 2 ** level} is missing` : `a row of ${table}`}): run verify-integrity to find what was deleted`,
    );
  }
}

/** A checkpoint of that tree size with another root is already kept: the tree was rewritten since. */
export class CheckpointConflictError extends ProofError {
  static create(file: string, size: number): CheckpointConflictError {
    return new CheckpointConflictError(
      `${file} already keeps a checkpoint of ${size} seals with another root: the seals up to #${size} changed since it was signed. Nothing was overwritten; run verify-integrity --checkpoints to find what changed`,
    );
  }

  static notExtending(source: string, keptSize: number, size: number): CheckpointConflictError {
    return new CheckpointConflictError(
      `refusing to sign a checkpoint of ${size} seals: the database's tree does not extend the one signed at ${keptSize} seals (${source}); the seals up to #${Math.min(keptSize, size)} were rewritten or deleted since. Nothing was signed; run verify-integrity --checkpoints to find what changed`,
    );
  }
}

/** Checkpoints are not configured, so none can be signed. */
export class CheckpointsOffError extends ProofError {
  static create(): CheckpointsOffError {
    return new CheckpointsOffError(
      'checkpoints are off: set health.integrity.checkpoints with a directory and privateKeyFile (a PKCS#8 PEM Ed25519 key: openssl genpkey -algorithm ed25519 -out checkpoint-key.pem); the demo reads THREADLINE_CHECKPOINT_DIR and THREADLINE_CHECKPOINT_KEY',
    );
  }
}

/** No proof can be given for what was asked: not found, not sealed yet, purged, or sealed in a form a proof cannot carry. */
export class ProofUnavailableError extends ProofError {
  static badChangeId(got: string): ProofUnavailableError {
    return new ProofUnavailableError(
      `a change id is a positive whole number (audit_changes.id), got ${JSON.stringify(got)}`,
    );
  }

  static noSuchChange(id: string): ProofUnavailableError {
    return new ProofUnavailableError(`there is no change ${id} in the audit log, and no purge removed one`);
  }

  static changePurged(id: string, purgeSeq: number): ProofUnavailableError {
    return new ProofUnavailableError(
      `change ${id} was purged by retention (purge record #${purgeSeq}): its content is gone, only its hash stays in the tree; prove its transaction instead (--transaction)`,
    );
  }

  static notSealed(transactionId: string): ProofUnavailableError {
    return new ProofUnavailableError(
      `transaction ${transactionId} is not sealed: it does not exist, or has not committed yet (a baseline is sealed once complete)`,
    );
  }

  static purged(transactionId: string, seq: number): ProofUnavailableError {
    return new ProofUnavailableError(
      `transaction ${transactionId} (seal #${seq}) was purged by retention: its content is gone, only its seal stays in the tree`,
    );
  }

  static legacy(transactionId: string, seq: number): ProofUnavailableError {
    return new ProofUnavailableError(
      `transaction ${transactionId} was sealed before schema v5 (seal #${seq}, format 1), as one text: verify-integrity checks it, a proof cannot carry it`,
    );
  }

  static largeChange(changeId: string): ProofUnavailableError {
    return new ProofUnavailableError(
      `change ${changeId} belongs to a transaction sealed value by value (format 3, over 1 GB as text): prove the transaction (--transaction) instead`,
    );
  }

  static doesNotHold(what: string, problem: string): ProofUnavailableError {
    return new ProofUnavailableError(
      `the proof of ${what} made from the database does not hold against its checkpoint (${problem}): run verify-integrity --checkpoints to find what changed`,
    );
  }
}

/** A checkpoint sink did not take a checkpoint in time (retried at the next tick). */
export class CheckpointSinkError extends ProofError {
  static timeout(ms: number): CheckpointSinkError {
    return new CheckpointSinkError(
      `the checkpoint sink did not take the checkpoint within ${ms / 1000} s (a callback that never settles, or a stream that never calls back): retried at the next tick`,
    );
  }

  static noHardLinks(directory: string, code: string | undefined): CheckpointSinkError {
    return new CheckpointSinkError(
      `${directory} cannot hard-link a file (${code ?? 'unknown error'}), which keeping a checkpoint whole or not at all needs: point health.integrity.checkpoints.directory at a local file system, and send checkpoints to other storage through sink`,
    );
  }
}

import { gotText, invalidOptionsMessage } from './core.messages';

/**
 * Base class of every error Threadline throws; `name` is the concrete class
 * name. Each lib declares its errors in its `<lib>.errors.ts`, one class per
 * kind of failure, each built by a factory that takes the facts and says how
 * to fix the problem, so no throw site composes wording.
 */
export class ThreadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Options given to `forRoot`/`forRootAsync` are invalid; the message names each bad option and what is allowed. */
export class InvalidOptionsError extends ThreadlineError {
  /** One error listing every problem, one per line; each problem starts with its option's path (`retention.keepDays ...`). */
  static of(problems: readonly string[]): InvalidOptionsError {
    return new InvalidOptionsError(invalidOptionsMessage(problems));
  }

  /** Throws `of(problems)` when there is any. */
  static throwIfAny(problems: readonly string[]): void {
    if (problems.length > 0) throw InvalidOptionsError.of(problems);
  }
}

/**
 * The capture configuration does not fit the live database catalog (unknown
 * table or column, no primary key, ...). Declared here so that every lib can
 * catch it; @threadline/capture's factories build it (capture.errors.ts).
 */
export class CaptureConfigError extends ThreadlineError {}

/**
 * A Threadline command was run with flags it cannot use; the message says
 * what to pass instead. Libs extend it for their commands' own rules.
 */
export class CommandUsageError extends ThreadlineError {
  /** A flag that takes a positive integer got something else, e.g. `--batch-size 0`. */
  static notPositiveInteger(flag: string, value: string): CommandUsageError {
    return new CommandUsageError(`${flag} must be a positive integer ${gotText(value)}`);
  }

  /** A required flag was not given: `--format is required: one of csv, json, ndjson`. */
  static required(flag: string, allowed: readonly string[]): CommandUsageError {
    return new CommandUsageError(`${flag} is required: one of ${allowed.join(', ')}`);
  }

  /** A flag that takes one value was given more than once (`--table a --table b`): which one to keep is a guess. */
  static repeated(flag: string): CommandUsageError {
    return new CommandUsageError(`${flag} was given more than once; give it once`);
  }

  /** Arguments the command does not take (`retention hold ... extra`). */
  static unexpectedArguments(args: string[], usage: string): CommandUsageError {
    return new CommandUsageError(
      `unexpected argument${args.length > 1 ? 's' : ''} ${args.map((a) => JSON.stringify(a)).join(' ')}; usage: ${usage}`,
    );
  }

  /** A command group run without a subcommand: its usage line. */
  static usage(line: string): CommandUsageError {
    return new CommandUsageError(`usage: ${line}`);
  }
}

/** A check command (verify-coverage, verify-integrity, continuity) found problems; each failure says how to fix it. */
export class CheckFailedError extends ThreadlineError {
  static create(check: string, failures: readonly string[]): CheckFailedError {
    return new CheckFailedError(`${check} failed:\n  - ${failures.join('\n  - ')}`);
  }
}

/** A value written into SQL text as a literal that SQL cannot hold, or that is not text (a bug in the caller). */
export class InvalidSqlLiteralError extends ThreadlineError {
  static nulCharacter(): InvalidSqlLiteralError {
    return new InvalidSqlLiteralError('SQL literals cannot contain NUL characters');
  }

  static notAString(value: unknown): InvalidSqlLiteralError {
    return new InvalidSqlLiteralError(`an inlined SQL value must be a string (got ${typeof value})`);
  }
}

/** PostgreSQL's insufficient_privilege (42501): the connected role lacks a right on an object. */
export function isInsufficientPrivilege(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '42501';
}

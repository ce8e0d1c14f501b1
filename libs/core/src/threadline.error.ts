/** Base class of every error Threadline throws; `name` is the concrete class name. */
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
    return new InvalidOptionsError(`Invalid Threadline options:\n  - ${problems.join('\n  - ')}`);
  }

  /** Throws `of(problems)` when there is any. */
  static throwIfAny(problems: readonly string[]): void {
    if (problems.length > 0) throw InvalidOptionsError.of(problems);
  }
}

/** The capture configuration does not fit the live database catalog (unknown table or column, no primary key, ...). */
export class CaptureConfigError extends ThreadlineError {}

/** PostgreSQL's insufficient_privilege (42501): the connected role lacks a right on an object. */
export function isInsufficientPrivilege(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '42501';
}

/**
 * The message for an operation the connected role has no right to run: what
 * it needs, who to run it as, and PostgreSQL's own words (docs/trust.md has
 * the role model).
 */
export function privilegeMessage(operation: string, needs: string, runAs: string, error: unknown): string {
  return `${operation} needs ${needs}, which the connected role lacks; ${runAs} (docs/trust.md, "The role model"). PostgreSQL said: ${(error as Error).message}`;
}

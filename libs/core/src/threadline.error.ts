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

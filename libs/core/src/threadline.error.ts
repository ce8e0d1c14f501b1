/** Base class of every error Threadline throws; `name` is the concrete class name. */
export class ThreadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Options given to `forRoot`/`forRootAsync` are invalid; the message names each bad option and what is allowed. */
export class InvalidOptionsError extends ThreadlineError {}

/** The capture configuration does not fit the live database catalog (unknown table or column, no primary key, ...). */
export class CaptureConfigError extends ThreadlineError {}

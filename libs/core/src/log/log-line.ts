import { ConsoleLogger, Logger } from '@nestjs/common';

/** A log line's fields: stable snake_case keys, scalar values (counts, names, statuses; never an audited value). */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * Writes one line of a Threadline lib through Nest's Logger (whose context is the class that logs). Nest's own
 * console logger gets the message followed by its fields as `key=value` (logfmt: a value with a space or a quote
 * is JSON-quoted), readable and searchable; a logger the app installed (nestjs-pino, winston, through
 * `app.useLogger`) gets a record `{ msg, event, ...fields }`, so the fields arrive as structured fields.
 * `event` names the line for alerts and stays the same across releases.
 */
export function logLine(
  logger: Logger,
  level: 'log' | 'warn' | 'error',
  event: string,
  message: string,
  fields: LogFields = {},
): void {
  const all: LogFields = { event, ...fields };
  if (logger.localInstance instanceof ConsoleLogger) logger[level](`${message} ${logfmt(all)}`);
  else logger[level]({ msg: message, ...all });
}

/** `key=value` pairs, undefined values left out. */
export function logfmt(fields: LogFields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const text = String(value);
      return `${key}=${text === '' || /[\s"=\\]/.test(text) ? JSON.stringify(text) : text}`;
    })
    .join(' ');
}

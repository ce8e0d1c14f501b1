import { ThreadlineError } from '../threadline.error';

/**
 * How every Threadline command ends: JSON on stdout for machines, plain text
 * for people, and on failure the reason on stderr with a non-zero exit code.
 */
export const commandOutput = {
  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  },
  text(line: string): void {
    process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
  },
  /** Reports a failure; Threadline errors print their message, anything else its stack. */
  fail(error: unknown, exitCode = 1): void {
    const message =
      error instanceof ThreadlineError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = exitCode;
  },
};

/** Splits `a,b , c` into `['a', 'b', 'c']`. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A CLI flag's value as a positive integer, e.g. `--batch-size 500`; anything else is an error naming the flag. */
export function parsePositiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new ThreadlineError(`${flag} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

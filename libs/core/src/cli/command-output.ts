import { CommandUsageError, ThreadlineError } from '../core.errors';

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
  /** A warning for people, on stderr so stdout stays the result. */
  warn(line: string): void {
    process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
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
  if (!/^\d+$/.test(value.trim()) || n < 1) throw CommandUsageError.notPositiveInteger(flag, value);
  return n;
}

/**
 * One progress reporter for long commands, on stderr so stdout stays the
 * result: redrawn in place on a terminal, a plain line at most every
 * `everyMs` when piped (logs stay readable), nothing with `--json`. Call
 * `done()` when the work ends, to finish the line.
 */
export class ProgressLine {
  private last = 0;
  private drawn = false;

  private constructor(
    private readonly enabled: boolean,
    private readonly tty: boolean,
    private readonly everyMs: number,
  ) {}

  static start(options: { json?: boolean; everyMs?: number } = {}): ProgressLine {
    return new ProgressLine(options.json !== true, process.stderr.isTTY === true, options.everyMs ?? 5000);
  }

  update(line: string): void {
    if (!this.enabled) return;
    if (this.tty) {
      process.stderr.write(`\r${line}`);
      this.drawn = true;
    } else if (Date.now() - this.last >= this.everyMs) {
      process.stderr.write(`${line}\n`);
      this.last = Date.now();
    }
  }

  done(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}

import { cliCommand, CommandUsageError, ThreadlineError } from '@threadline/core';

/** `policy show` found tables whose deployed redaction differs from the config. */
export class RedactionDriftError extends ThreadlineError {
  static create(reasons: string[]): RedactionDriftError {
    return new RedactionDriftError(
      `policy show: ${reasons.join('; ')}; run ${cliCommand('gen-triggers')} and apply the migration it writes`,
    );
  }
}

/** A health command was run without what it needs (a table, or flags that agree). */
export class HealthUsageError extends CommandUsageError {
  static noTablesToCheck(): HealthUsageError {
    return new HealthUsageError('no tables to check: pass --table NAME or list tables under capture.tables');
  }
}

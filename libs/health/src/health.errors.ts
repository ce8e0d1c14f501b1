import { CommandUsageError } from '@threadline/core';

/** A health command was run without what it needs (a table, or flags that agree). */
export class HealthUsageError extends CommandUsageError {
  static noTablesToCheck(): HealthUsageError {
    return new HealthUsageError('no tables to check: pass --table NAME or list tables under capture.tables');
  }
}

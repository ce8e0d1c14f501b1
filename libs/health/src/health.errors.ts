import { CommandUsageError, ThreadlineError } from '@threadline/core';

/** health.expectedTables or expectedUncoveredTables names a table the database does not have (at boot). */
export class ExpectedTableMissingError extends ThreadlineError {
  static of(problems: string[]): ExpectedTableMissingError {
    return new ExpectedTableMissingError(problems.join('\n'));
  }
}

/** A health command was run without what it needs (a table, or flags that agree). */
export class HealthUsageError extends CommandUsageError {
  static noTablesToCheck(): HealthUsageError {
    return new HealthUsageError('no tables to check: pass --table NAME or list tables under capture.tables');
  }
}

import { CommandUsageError, InvalidOptionsError } from '@threadline/core';

/**
 * health.expectedTables or expectedUncoveredTables names a table the database does not have (at boot). An options
 * problem found against the database: an InvalidOptionsError, with the same "Invalid Threadline options" message.
 */
export class ExpectedTableMissingError extends InvalidOptionsError {
  static override of(problems: readonly string[]): ExpectedTableMissingError {
    return new ExpectedTableMissingError(InvalidOptionsError.of(problems).message);
  }
}

/** A health command was run without what it needs (a table, or flags that agree). */
export class HealthUsageError extends CommandUsageError {
  static noTablesToCheck(): HealthUsageError {
    return new HealthUsageError('no tables to check: pass --table NAME or list tables under capture.tables');
  }
}

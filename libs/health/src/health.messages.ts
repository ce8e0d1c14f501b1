/**
 * The texts @threadline/health returns or logs (option problems, log lines),
 * in one place; each says how to fix the problem. Thrown errors are in
 * health.errors.ts.
 */

/** Option problems (`health...`). */
export function notATableList(key: string, got: unknown): string {
  return `health.${key} must be an array of table names (got ${JSON.stringify(got)})`;
}

export const STRICT_NOT_A_BOOLEAN = 'health.strict must be true or false';

export function notSeconds(key: string, got: unknown): string {
  return `health.integrity.${key} must be a whole number of seconds from 0 to 86400 (got ${JSON.stringify(got)})`;
}

export function bothExpectedAndUncovered(tables: string[]): string {
  return `health.expectedTables: ${tables.join(', ')} listed in both expectedTables and expectedUncoveredTables; a table is either audited or not`;
}

export function expectedTablesMissing(missing: string[]): string {
  return `health.expectedTables: ${missing.join(', ')} ${missing.length > 1 ? 'are not tables' : 'is not a table'} in the database; fix the name in expectedTables / expectedUncoveredTables`;
}

/** Logged by the background sealer. */
export function sealingFailed(error: unknown): string {
  return `threadline sealing failed: ${error instanceof Error ? error.message : String(error)}`;
}

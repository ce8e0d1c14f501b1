import { cliCommand } from '@threadline/core';

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

export function bothExpectedAndUncovered(tables: string[]): string {
  return `health.expectedTables: ${tables.join(', ')} listed in both expectedTables and expectedUncoveredTables; a table is either audited or not`;
}

export function expectedTablesMissing(missing: string[]): string {
  return `health.expectedTables: ${missing.join(', ')} ${missing.length > 1 ? 'are not tables' : 'is not a table'} in the database; fix the name in expectedTables / expectedUncoveredTables`;
}

/** Problems the checks (continuity, verify-coverage) report per table, each with its fix. */
export function notATableInDatabase(table: string): string {
  return `${table} is not a table in the database`;
}

export function noTriggers(table: string, missingTriggers: string[] | undefined): string {
  return `${table} has no Threadline triggers (missing: ${missingTriggers?.join(', ')}); run ${cliCommand('gen-triggers')} and your migrations`;
}

export function expectedButUncovered(table: string): string {
  return `${table} is in expectedTables but has no Threadline triggers (run ${cliCommand('gen-triggers')} and your migrations)`;
}

export function expectedButMissing(table: string): string {
  return `${table} is in expectedTables but is not a table in the database; fix the name in health.expectedTables`;
}

export function unclassified(table: string): string {
  return `${table} is uncovered and in neither expectedTables nor expectedUncoveredTables (strict): list it in one of them`;
}

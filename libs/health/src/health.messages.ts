import { cliCommand, gotText } from '@threadline/core';
import type { TableContinuity } from './continuity.service';

/**
 * The texts @threadline/health returns or logs (option problems, log lines),
 * in one place; each says how to fix the problem. Thrown errors are in
 * health.errors.ts.
 */

/** Option problems (`health...`). */
export function notATableList(key: string, got: unknown): string {
  return `health.${key} must be an array of table names ${gotText(got)}`;
}

export const STRICT_NOT_A_BOOLEAN = 'health.strict must be true or false';

export function bothExpectedAndUncovered(tables: string[]): string {
  return `health.expectedTables: ${tables.join(', ')} listed in both expectedTables and expectedUncoveredTables; a table is either audited or not`;
}

export function expectedTablesMissing(option: 'expectedTables' | 'expectedUncoveredTables', missing: string[]): string {
  return `health.${option}: ${missing.join(', ')} ${missing.length > 1 ? 'are not tables' : 'is not a table'} in the database; fix the name in health.${option} (or create the table first: run your migrations)`;
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

/** What `policy show` fails on: deployed redaction that differs from the configuration. */
export function redactionDrift(tables: string[]): string {
  return `deployed capture does not match the configuration for ${tables.join(', ')}; run ${cliCommand('gen-triggers')} and apply the migration it writes`;
}

export const NO_TABLES_CONFIGURED = 'No tables configured under capture.tables.';

/** One table of `policy show`: its status, what differs, and its configured exclude and mask. */
export function policyLine(
  table: string,
  label: string,
  detail: string,
  configured: { exclude: string[]; mask: string[] },
): string {
  return `${table}  ${label}${detail ? `: ${detail}` : ''}\n  exclude: ${configured.exclude.join(', ') || '-'}  mask: ${configured.mask.join(', ') || '-'}`;
}

/** The buckets of `health coverage` and `verify-coverage`, in order, each with its heading. */
export const coverageHeadings = {
  covered: 'covered',
  uncoveredExpected: 'uncovered, expected to be covered',
  missingExpected: 'expected but not a table',
  expectedUncovered: 'uncovered by design (expectedUncoveredTables)',
  unclassified: (strict: boolean) =>
    `unclassified, uncovered${strict ? ' (fails under --strict)' : ' (informational)'}`,
  drift: 'capture drift (deployed capture differs from the configuration or the table)',
  notCapturedInReplicaRole: 'covered, but not capturing under session_replication_role = replica',
};

export const coverageVerdict = (ok: boolean) => (ok ? 'OK: every expected table is covered' : 'FAILED');

/** `continuity`: the T0 cutover, explained once before the tables. */
export const continuityExplanation =
  () => `Capture starts at the first audited write after the triggers are installed (T0).
Rows that existed before have no history until they are next written: history() is empty
for them and asOf() answers before_audit_horizon, rather than inventing a past.
To give them history from now on, record a baseline: ${cliCommand('baseline --table NAME --execute')}`;

/** `continuity`: one table's line. */
export function continuityLine(t: TableContinuity): string {
  if (!t.exists) return `${t.table}: MISSING (not a table)`;
  const state = t.covered ? 'covered' : 'NOT COVERED';
  const since = t.firstCapturedAt ? `first change captured ${t.firstCapturedAt}` : 'no change captured yet';
  const gap = Math.max(0, t.rows - t.rowsWithHistory);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return (
    `${t.table}: ${state}; ${since}; ${count(t.rows, 'row')} now, ${count(t.rowsWithHistory, 'key')} with captured history (rows deleted since included)` +
    (gap
      ? `, so at least ${count(gap, 'row')} ${gap === 1 ? 'has' : 'have'} no history until ${gap === 1 ? 'its' : 'their'} first audited write`
      : '')
  );
}

/** The Terminus indicator's message when the coverage check itself failed. */
export function coverageCheckFailed(error: unknown): string {
  return `coverage check failed: ${error instanceof Error ? error.message : String(error)}`;
}

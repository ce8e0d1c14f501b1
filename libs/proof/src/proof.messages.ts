import { cliCommand } from '@threadline/core';

/**
 * The texts @threadline/proof returns or logs (option problems, log lines,
 * the problems a completeness check reports), in one place; each says how to
 * fix the problem. Thrown errors are in proof.errors.ts; the problems a
 * verification finds in the chain are in integrity.problems.ts.
 */
/** Option problems (`health.integrity...` through ThreadlineModule, `proof.integrity...` on its own). */
export function notSeconds(path: string, key: string, got: unknown): string {
  return `${path}.${key} must be a whole number of seconds from 0 to 86400 (got ${JSON.stringify(got)})`;
}

/** Logged by the background sealer. */
export function sealingFailed(error: unknown): string {
  return `threadline sealing failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Problems completeness reports per table, each with its fix. */
export function notATableWithPrimaryKey(table: string): string {
  return `${table} is not a table with a primary key`;
}

export function noCaptureDeployed(table: string): string {
  return `${table} has no Threadline capture deployed (run ${cliCommand('gen-triggers')} and your migrations)`;
}

/**
 * The texts @threadline/core returns or logs rather than throws (option
 * problems, the privilege explanation other libs wrap in their errors), in
 * one place; every one says what is allowed or how to fix it.
 */

/** The message of InvalidOptionsError: every problem, one per line. */
export function invalidOptionsMessage(problems: readonly string[]): string {
  return `Invalid Threadline options:\n  - ${problems.join('\n  - ')}`;
}

/** An options slice that is not an object. */
export function notAnOptionsObject(path: string, known: readonly string[], got: string): string {
  return `${path} must be an object with the options ${known.join(', ')} (got ${got})`;
}

/** A key of an options slice that is not an option. */
export function unknownOption(path: string, key: string, known: readonly string[]): string {
  return `${path}.${key} is not a known option (allowed: ${known.join(', ')})`;
}

/** A class-validator constraint an option breaks (`capture.tables.users.mask must be an array`). */
export function invalidOptionValue(path: string, constraint: string, got: string): string {
  return `${path} ${constraint} (got ${got})`;
}

/** `cli` is not an object. */
export const CLI_NOT_AN_OBJECT = "cli must be an object such as { command: 'node dist/cli.js' }";

/** `cli.command` is not one usable command line. */
export function invalidCliCommand(got: unknown): string {
  return `cli.command must be the command line that runs this app's CLI, one line of at most 200 characters without backticks, such as 'node dist/cli.js' or 'yarn cli' (got ${JSON.stringify(got)})`;
}

/**
 * The message for an operation the connected role has no right to run: what
 * it needs, who to run it as, and PostgreSQL's own words (docs/trust.md has
 * the role model).
 */
export function privilegeMessage(operation: string, needs: string, runAs: string, error: unknown): string {
  return `${operation} needs ${needs}, which the connected role lacks; ${runAs} (docs/trust.md, "The role model"). PostgreSQL said: ${(error as Error).message}`;
}

/** `(got "value")`: the value a message refuses, as JSON, to end the sentence with. */
export function gotText(value: unknown): string {
  return `(got ${JSON.stringify(value)})`;
}

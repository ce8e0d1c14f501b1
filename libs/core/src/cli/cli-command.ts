import { CLI_NOT_AN_OBJECT, invalidCliCommand, unknownOption } from '../core.messages';

/**
 * How the app runs its Threadline commands, so every message printed inside
 * it names the command the team actually types: `cli.command` in
 * `ThreadlineModule.forRoot` (the demo names its npm script), by default the
 * nest-commander entry point the README sets up, `node dist/cli.js`.
 */
export interface CliOptions {
  /** What runs a command in this app, without the command itself; default 'node dist/cli.js'. */
  command?: string;
}

export const DEFAULT_CLI_COMMAND = 'node dist/cli.js';

let configured = DEFAULT_CLI_COMMAND;

/** Set once at boot from the validated options (ThreadlineModule); undefined restores the default. */
export function useCliCommand(command: string | undefined): void {
  configured = command ?? DEFAULT_CLI_COMMAND;
}

/** The command line that runs `args` in this app: `node dist/cli.js gen-triggers` with the app's own prefix. */
export function cliCommandLine(args: string): string {
  return `${configured} ${args}`;
}

/** The same, quoted for a message: `` `node dist/cli.js gen-triggers` ``. */
export function cliCommand(args: string): string {
  return `\`${cliCommandLine(args)}\``;
}

/** Problems with the `cli` slice, each naming its option. */
export function cliOptionsProblems(options: CliOptions | undefined): string[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return [CLI_NOT_AN_OBJECT];
  const problems = Object.keys(options)
    .filter((key) => key !== 'command')
    .map((key) => unknownOption('cli', key, ['command']));
  const command = options.command;
  if (
    command !== undefined &&
    (typeof command !== 'string' || !command.trim() || command.length > 200 || /[\r\n`]/.test(command))
  )
    problems.push(invalidCliCommand(command));
  return problems;
}

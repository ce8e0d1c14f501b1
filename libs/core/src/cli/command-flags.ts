import { CommandRunner, Option } from 'nest-commander';
import { CommandUsageError } from '../core.errors';
import { commandOutput, parsePositiveInteger } from './command-output';

/**
 * Declares a flag on a nest-commander command class without writing a parse
 * method for it: the method is added to the class and decorated with
 * `@Option`, exactly as if it had been written by hand. The flag's value
 * arrives in `run(args, flags)` under its camel-cased name (`--dry-run` as
 * `flags.dryRun`).
 */
export function addFlag(
  command: abstract new (...args: never[]) => unknown,
  flags: string,
  description: string,
  parse: (value: string, previous: unknown) => unknown = () => true,
): void {
  const name = `parse_${flags.replace(/^.*--|\s.*$/g, '').replace(/-/g, '_')}`;
  Object.defineProperty(command.prototype, name, { value: parse, writable: true, configurable: true });
  Option({ flags, description })(command.prototype, name, { value: parse });
}

type CommandClass = abstract new (...args: never[]) => unknown;

/** `--json`: print one JSON document on stdout. Every command that prints a result takes it. */
export function JsonFlag(): (command: CommandClass) => void {
  return (command) => addFlag(command, '--json', 'Print one JSON document');
}

/** `--dry-run`, described as the command means it (what it prints or counts, and that it writes nothing). */
export function DryRunFlag(description: string): (command: CommandClass) => void {
  return (command) => addFlag(command, '--dry-run', description);
}

/** `--execute`: the explicit go-ahead a destructive or writing command requires. */
export function ExecuteFlag(description: string): (command: CommandClass) => void {
  return (command) => addFlag(command, '--execute', description);
}

/** A flag taking a positive integer (`--batch-size <n>`); anything else is an error naming the flag. */
export function PositiveIntegerFlag(flags: string, description: string): (command: CommandClass) => void {
  const name = flags.split(' ')[0];
  return (command) => addFlag(command, flags, description, (value) => parsePositiveInteger(name, value));
}

/** A flag taking one value (`--reason <text>`); given twice it is an error naming the flag, not a silent choice. */
export function OnceFlag(flags: string, description: string): (command: CommandClass) => void {
  const name = flags.split(' ')[0];
  return (command) =>
    addFlag(command, flags, description, (value, previous) => {
      if (previous !== undefined) throw CommandUsageError.repeated(name);
      return value;
    });
}

/** A flag that may be given several times (`--table a --table b`), collected into an array. */
export function RepeatableFlag(flags: string, description: string): (command: CommandClass) => void {
  return (command) =>
    addFlag(command, flags, description, (value, previous) => [...((previous as string[] | undefined) ?? []), value]);
}

/**
 * The base of every Threadline command: `execute` does the work, and any
 * failure ends the same way (the reason on stderr, exit code 1; a Threadline
 * error prints its message, anything else its stack).
 */
export abstract class ThreadlineCommand<Flags extends object = Record<string, unknown>> extends CommandRunner {
  async run(args: string[], flags?: Flags): Promise<void> {
    try {
      await this.execute(args, flags ?? ({} as Flags));
    } catch (error) {
      commandOutput.fail(error);
    }
  }

  protected abstract execute(args: string[], flags: Flags): Promise<void>;
}

import { CaptureConfigError, cliCommand, CommandUsageError, privilegeMessage, ThreadlineError } from '@threadline/core';
import { partitioningTexts } from './capture.messages';

/** Trigger generation was asked for no table: neither `--tables` nor `capture.tables` names one. */
export class NoTablesToCaptureError extends CaptureConfigError {
  static create(): NoTablesToCaptureError {
    return new NoTablesToCaptureError(
      'No tables to capture: pass --tables a,b or list the tables under capture.tables in the module options.',
    );
  }
}

/** The capture settings do not fit the live catalog; every problem is listed, each saying how to fix it (capture.messages.ts). */
export class CatalogMismatchError extends CaptureConfigError {
  static forTriggers(problems: readonly string[]): CatalogMismatchError {
    return new CatalogMismatchError(`Cannot generate capture triggers:\n  - ${problems.join('\n  - ')}`);
  }

  static forBaseline(table: string, problems: readonly string[]): CatalogMismatchError {
    return new CatalogMismatchError(`Cannot take a baseline of ${table}:\n  - ${problems.join('\n  - ')}`);
  }
}

/** `migrate` was run in an app whose TypeORM DataSource loads no migrations. */
export class MigrationsNotConfiguredError extends ThreadlineError {
  static create(): MigrationsNotConfiguredError {
    return new MigrationsNotConfiguredError(
      "TypeORM's `migrations` option is not set, so the migrations install and gen-triggers write would never be loaded. " +
        `Set it in TypeOrmModule.forRoot, e.g. migrations: ['dist/migrations/*.js'] (the compiled folder of capture.migrationsDir), build, and run ${cliCommand('migrate')} again.`,
    );
  }
}

/** An install SQL file names a placeholder the loader does not fill: a packaging or editing mistake in sql/. */
export class InstallSqlPlaceholderError extends ThreadlineError {
  static create(placeholder: string, file: string) {
    return new this(
      `threadline: unknown placeholder ${placeholder} in sql/${file}.sql (placeholders are listed in sql/README.md)`,
    );
  }
}

/** Partition maintenance was run by a role without EXECUTE on threadline_partitions_maintain(). */
export class PartitionPrivilegeError extends ThreadlineError {
  static create(fn: string, error: unknown): PartitionPrivilegeError {
    return new PartitionPrivilegeError(
      privilegeMessage(
        'partition maintenance',
        `EXECUTE on ${fn}() (it creates partitions with the owner's rights)`,
        `grant it to the app's role (GRANT EXECUTE ON FUNCTION ${fn}() TO app_user), or run ${cliCommand('partitions maintain')} connected as the audit tables' owner`,
        error,
      ),
    );
  }

  /** The upgrade creates, renames and drops the audit tables: only their owner may run it. */
  static forUpgrade(fn: string, error: unknown): PartitionPrivilegeError {
    return new PartitionPrivilegeError(
      privilegeMessage(
        'the partitioning upgrade',
        `EXECUTE on ${fn}() and ownership of the audit tables (it creates and renames them)`,
        `run ${cliCommand('partitions upgrade')} connected as the audit tables' owner`,
        error,
      ),
    );
  }
}

/** `partitions upgrade` was given flags it cannot use, or no interval to partition by. */
export class PartitionUpgradeUsageError extends CommandUsageError {}

/** A step of the partitioning upgrade refused (the database's message and its hint, which says what to do). */
export class PartitionUpgradeError extends ThreadlineError {
  static from(error: unknown): PartitionUpgradeError {
    const { message, hint } = error as { message: string; hint?: string };
    return new PartitionUpgradeError(
      `partitions upgrade: ${message.replace(/^threadline: /, '')}${hint ? `. ${hint}` : ''}`,
    );
  }
}

/** auditSchemaSql was given a partitioning that capture.partitioning would refuse; the message lists why. */
export class InvalidPartitioningError extends CaptureConfigError {
  static forInstall(problems: readonly string[]): InvalidPartitioningError {
    return new InvalidPartitioningError(partitioningTexts.installSql(problems));
  }
}

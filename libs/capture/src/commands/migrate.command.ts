import { commandOutput, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { Command } from 'nest-commander';
import { DataSource, MigrationExecutor } from 'typeorm';
import { CaptureService } from '../capture.service';
import { commandTexts } from '../capture.messages';
import { ddlFollowUpWarning } from '../catalog/ddl-follow-up';
import { MigrationsNotConfiguredError } from '../capture.errors';

/**
 * `migrate [--json]`: applies the app's pending TypeORM migrations (those
 * `install` and `gen-triggers` wrote included), each in its own transaction,
 * with the DataSource the app configured. It is TypeORM's runMigrations: an
 * app that runs migrations at start (`migrationsRun: true`) or with the
 * TypeORM CLI does not need it.
 */
@JsonFlag()
@Command({ name: 'migrate', description: "Apply pending TypeORM migrations (the app's DataSource and its migrations)" })
export class MigrateCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly capture: CaptureService,
  ) {
    super();
  }

  protected async execute(_args: string[], flags: { json?: boolean }): Promise<void> {
    const configured = this.dataSource.options.migrations;
    if (!configured || (Array.isArray(configured) ? configured.length === 0 : Object.keys(configured).length === 0))
      throw MigrationsNotConfiguredError.create();
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    // With migrationsRun: true TypeORM applied the pending ones while this command started: say so.
    const atStart = Boolean(this.dataSource.options.migrationsRun);
    const executed = await new MigrationExecutor(this.dataSource).getExecutedMigrations();
    const latest = [...executed].sort((a, b) => b.timestamp - a.timestamp)[0]?.name ?? null;
    const ddlFollowUp = await this.capture.ddlFollowUp();
    const warning = ddlFollowUpWarning(ddlFollowUp, this.capture.auditSchema);
    if (flags.json)
      return commandOutput.json({
        applied: names,
        migrationsRun: atStart,
        executed: executed.length,
        latest,
        ddlEventTrigger: ddlFollowUp,
        ...(warning ? { warning } : {}),
      });
    if (warning && warning !== this.capture.bootWarning) commandOutput.warn(warning);
    commandOutput.text(
      names.length
        ? commandTexts.migrationsApplied(names)
        : atStart
          ? commandTexts.appliedAtStart(executed.length, latest)
          : commandTexts.noPendingMigrations(executed.length, latest),
    );
  }
}

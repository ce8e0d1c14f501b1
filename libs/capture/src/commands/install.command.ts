import { Command, Option } from 'nest-commander';
import { CaptureService } from '../capture.service';
import { commandTexts } from '../capture.messages';
import { commandOutput, DryRunFlag, JsonFlag, ThreadlineCommand } from '@threadline/core';

interface InstallFlags {
  dryRun?: boolean;
  json?: boolean;
  dir?: string;
}

@DryRunFlag('Print the SQL the migration would run; write nothing')
@JsonFlag()
@Command({ name: 'install', description: 'Write the migration that creates the Threadline audit tables (idempotent)' })
export class InstallCommand extends ThreadlineCommand<InstallFlags> {
  constructor(private readonly capture: CaptureService) {
    super();
  }

  protected async execute(_args: string[], flags: InstallFlags): Promise<void> {
    const outcome = this.capture.writeInstallMigration({ dryRun: flags.dryRun, dir: flags.dir });
    if (flags.json) return commandOutput.json({ dryRun: !!flags.dryRun, ...outcome });
    if (flags.dryRun) return commandOutput.text(outcome.up);
    commandOutput.text(
      outcome.written ? commandTexts.installWritten(outcome.file) : commandTexts.alreadyInstalled(outcome.file),
    );
  }

  @Option({ flags: '--dir <path>', description: 'Migrations folder (default: capture.migrationsDir)' })
  parseDir(value: string): string {
    return value;
  }
}

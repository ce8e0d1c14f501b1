import { Command, Option } from 'nest-commander';
import { CaptureService } from '../capture.service';
import { commandTexts } from '../capture.messages';
import { commandOutput, DryRunFlag, JsonFlag, parseList, ThreadlineCommand } from '@threadline/core';

interface GenTriggersFlags {
  tables?: string[];
  dryRun?: boolean;
  storeChangedFrom?: boolean;
  json?: boolean;
  dir?: string;
}

@DryRunFlag('Print the SQL the migration would run; write nothing')
@JsonFlag()
@Command({
  name: 'gen-triggers',
  description: 'Write the migration that installs capture triggers, from the same options the app runs with',
})
export class GenTriggersCommand extends ThreadlineCommand<GenTriggersFlags> {
  constructor(private readonly capture: CaptureService) {
    super();
  }

  protected async execute(_args: string[], flags: GenTriggersFlags): Promise<void> {
    const outcome = await this.capture.writeTriggerMigration(
      { tables: flags.tables, storeChangedFrom: flags.storeChangedFrom },
      { dryRun: flags.dryRun, dir: flags.dir },
    );
    if (flags.json) return commandOutput.json({ dryRun: !!flags.dryRun, ...outcome });
    if (flags.dryRun) return commandOutput.text(outcome.up);
    const why = Object.entries(outcome.differences ?? {}).flatMap(([table, list]) =>
      list.map((d) => `  ${table}: ${d}`),
    );
    commandOutput.text(
      outcome.written
        ? commandTexts.triggersWritten(outcome.file, outcome.tables, why)
        : outcome.upToDate === 'pending'
          ? commandTexts.triggersPending(outcome.file)
          : commandTexts.triggersUpToDate(outcome.tables),
    );
  }

  @Option({ flags: '-t, --tables <list>', description: 'Comma-separated tables (default: capture.tables)' })
  parseTables(value: string): string[] {
    return parseList(value);
  }

  @Option({ flags: '--store-changed-from', description: 'Also store prior values of changed columns' })
  parseStoreChangedFrom(): boolean {
    return true;
  }

  @Option({ flags: '--dir <path>', description: 'Migrations folder (default: capture.migrationsDir)' })
  parseDir(value: string): string {
    return value;
  }
}

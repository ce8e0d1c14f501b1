import { JsonFlag } from '@threadline/core';
import { commandOutput } from '@threadline/nestjs';
import { Command, CommandRunner } from 'nest-commander';
import { DataSource } from 'typeorm';

@JsonFlag()
@Command({ name: 'migrate', description: 'Apply pending migrations (the app does this at start)' })
export class MigrateCommand extends CommandRunner {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async run(_args: string[], flags: { json?: boolean }): Promise<void> {
    try {
      const applied = await this.dataSource.runMigrations({ transaction: 'each' });
      const names = applied.map((m) => m.name);
      if (flags.json) return commandOutput.json({ applied: names });
      commandOutput.text(names.length ? `Applied ${names.join(', ')}` : 'No pending migrations.');
    } catch (error) {
      commandOutput.fail(error);
    }
  }
}

import { JsonFlag, ThreadlineCommand } from '@threadline/core';
import { commandOutput } from '@threadline/nestjs';
import { Command } from 'nest-commander';
import { DataSource } from 'typeorm';

@JsonFlag()
@Command({ name: 'migrate', description: 'Apply pending migrations (the app does this at start)' })
export class MigrateCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  protected async execute(_args: string[], flags: { json?: boolean }): Promise<void> {
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    if (flags.json) return commandOutput.json({ applied: names });
    commandOutput.text(names.length ? `Applied ${names.join(', ')}` : 'No pending migrations.');
  }
}

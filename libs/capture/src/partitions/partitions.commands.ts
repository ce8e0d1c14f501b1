import { commandOutput, CommandUsageError, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { partitionStatusText, PARTITIONS_USAGE } from '../capture.messages';
import { PartitionsService } from './partitions.service';

/** `partitions status [--json]`: the partitions of the audit tables and what puts them at risk (exit 1 then). */
@JsonFlag()
@SubCommand({
  name: 'status',
  description: 'Show the partitions of the audit tables and whether they are far enough ahead',
})
export class PartitionsStatusCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(private readonly partitions: PartitionsService) {
    super();
  }

  protected async execute(args: string[], flags: { json?: boolean }): Promise<void> {
    if (args.length) throw CommandUsageError.unexpectedArguments(args, 'partitions status [--json]');
    const status = await this.partitions.status();
    if (flags.json) commandOutput.json(status);
    else commandOutput.text(partitionStatusText(status));
    if (status.problems.length) process.exitCode = 1;
  }
}

/** `partitions maintain [--json]`: creates the partitions of now and the intervals ahead, and empties the default partitions. */
@JsonFlag()
@SubCommand({ name: 'maintain', description: 'Create the partitions of now and the intervals ahead (idempotent)' })
export class PartitionsMaintainCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(private readonly partitions: PartitionsService) {
    super();
  }

  protected async execute(args: string[], flags: { json?: boolean }): Promise<void> {
    if (args.length) throw CommandUsageError.unexpectedArguments(args, 'partitions maintain [--json]');
    const result = await this.partitions.maintain();
    if (flags.json) commandOutput.json(result);
    else commandOutput.text(partitionStatusText(result.status, result.created));
    if (result.status.problems.length) process.exitCode = 1;
  }
}

@Command({
  name: 'partitions',
  description: 'Partitioned storage (capture.partitioning)',
  subCommands: [PartitionsStatusCommand, PartitionsMaintainCommand],
})
export class PartitionsCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(CommandUsageError.usage(PARTITIONS_USAGE));
  }
}

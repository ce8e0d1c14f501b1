import {
  addFlag,
  commandOutput,
  CommandUsageError,
  JsonFlag,
  OnceFlag,
  PositiveIntegerFlag,
  ProgressLine,
  ThreadlineCommand,
} from '@threadline/core';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { PartitionUpgradeUsageError } from '../capture.errors';
import { partitionStatusText, partitionUpgradeTexts, PARTITIONS_USAGE } from '../capture.messages';
import { PartitionUpgradeService } from './partition-upgrade.service';
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

interface UpgradeFlags {
  interval?: string;
  ahead?: number;
  batchSize?: number;
  maxBatches?: number;
  abort?: boolean;
  json?: boolean;
}

/**
 * `partitions upgrade`: moves an unpartitioned audit log into partitioned storage while the app writes, in batches;
 * killed, it goes on from where it stopped when run again. `--abort` drops what an unfinished upgrade made.
 */
@OnceFlag('--interval <day|week|month>', 'The interval of a partition (default: capture.partitioning.interval)')
@PositiveIntegerFlag(
  '--ahead <n>',
  'Intervals kept created ahead, 3 to 24 (default: capture.partitioning.ahead, else 3)',
)
@PositiveIntegerFlag('--batch-size <n>', 'Rows per batch, one short transaction each (default 5000)')
@PositiveIntegerFlag('--max-batches <n>', 'Stop after N batches; run again to go on')
@JsonFlag()
@SubCommand({
  name: 'upgrade',
  description: 'Move an unpartitioned audit log into partitions while the app writes (resumable)',
})
export class PartitionsUpgradeCommand extends ThreadlineCommand<UpgradeFlags> {
  constructor(private readonly upgrades: PartitionUpgradeService) {
    super();
  }

  protected async execute(args: string[], flags: UpgradeFlags): Promise<void> {
    if (args.length) throw CommandUsageError.unexpectedArguments(args, PARTITIONS_USAGE.split('\n  ')[2]);
    const { json, abort, ...rest } = flags;
    if (abort && Object.values(rest).some((v) => v !== undefined))
      throw new PartitionUpgradeUsageError(partitionUpgradeTexts.abortAlone());
    const progress = ProgressLine.start({ json });
    const result = abort
      ? await this.upgrades.abort()
      : await this.upgrades.upgrade({ ...rest, onBatch: (p) => progress.update(partitionUpgradeTexts.progress(p)) });
    progress.done();
    if (json) commandOutput.json(result);
    else commandOutput.text(partitionUpgradeTexts.result(result));
  }
}
addFlag(
  PartitionsUpgradeCommand,
  '--abort',
  'Drop what an unfinished upgrade made; the audit tables stay as they were',
);

@Command({
  name: 'partitions',
  description: 'Partitioned storage (capture.partitioning)',
  subCommands: [PartitionsStatusCommand, PartitionsMaintainCommand, PartitionsUpgradeCommand],
})
export class PartitionsCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(CommandUsageError.usage(PARTITIONS_USAGE));
  }
}

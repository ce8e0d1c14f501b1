import {
  commandOutput,
  DryRunFlag,
  ExecuteFlag,
  JsonFlag,
  PositiveIntegerFlag,
  ProgressLine,
  ThreadlineCommand,
  CommandUsageError,
} from '@threadline/core';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { RetentionService } from './retention.service';
import { PurgeModeError, PurgeNotCompletedError } from './retention.errors';
import { purgeSummary } from './retention.messages';
import { RetentionHoldCommand, RetentionHoldsCommand, RetentionReleaseHoldCommand } from './legal-hold.commands';

interface PurgeFlags {
  dryRun?: boolean;
  execute?: boolean;
  batchSize?: number;
  maxBatches?: number;
  cutoff?: string;
  json?: boolean;
}

/** `retention purge --dry-run | --execute`: deletes nothing without an explicit --execute. */
@DryRunFlag('Count what would be deleted; delete nothing')
@ExecuteFlag('Really delete (required for a destructive run)')
@PositiveIntegerFlag('--batch-size <n>', 'Changes per batch (default: retention.batchSize)')
@PositiveIntegerFlag('--max-batches <n>', 'Most batches this run (default: retention.maxBatches)')
@JsonFlag()
@SubCommand({
  name: 'purge',
  description: 'Delete audit changes older than the retention window (--dry-run first, then --execute)',
})
export class RetentionPurgeCommand extends ThreadlineCommand<PurgeFlags> {
  constructor(private readonly retention: RetentionService) {
    super();
  }

  protected async execute(_args: string[], flags: PurgeFlags): Promise<void> {
    if (flags.dryRun && flags.execute) throw PurgeModeError.both();
    if (!flags.dryRun && !flags.execute) {
      throw PurgeModeError.neither();
    }
    const progress = ProgressLine.start({ json: flags.json });
    const result = await this.retention.purge({
      dryRun: flags.dryRun,
      batchSize: flags.batchSize,
      maxBatches: flags.maxBatches,
      cutoff: flags.cutoff,
      onBatch: (p) =>
        progress.update(`batch ${p.batch}: ${p.deletedChanges} changes, ${p.deletedTransactions} transactions deleted`),
    });
    progress.done();
    if (result.status !== 'completed')
      return commandOutput.fail(PurgeNotCompletedError.create(result.status, result.reason));
    if (flags.json) return commandOutput.json(result);
    commandOutput.text(purgeSummary(result));
  }

  @Option({
    flags: '--cutoff <timestamp>',
    description: 'A stricter (older) cutoff than the policy, ISO 8601 with its zone (2026-01-31T00:00:00Z)',
  })
  parseCutoff(value: string): string {
    return value;
  }
}

/** `retention` groups the retention commands: `retention purge ...`. */
@Command({
  name: 'retention',
  description: 'Retention commands',
  subCommands: [RetentionPurgeCommand, RetentionHoldCommand, RetentionHoldsCommand, RetentionReleaseHoldCommand],
})
export class RetentionCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(
      CommandUsageError.usage(
        'retention purge --dry-run | --execute [--batch-size N] [--max-batches N] [--cutoff ISO] [--json]\n' +
          '  retention hold [timeline filters] --reason TEXT --by NAME [--json]\n' +
          '  retention holds [--all] [--json]\n' +
          '  retention release-hold ID --reason TEXT --by NAME [--json]',
      ),
    );
  }
}

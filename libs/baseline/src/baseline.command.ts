import {
  commandOutput,
  DryRunFlag,
  ExecuteFlag,
  JsonFlag,
  PositiveIntegerFlag,
  ProgressLine,
  RepeatableFlag,
  ThreadlineCommand,
} from '@threadline/core';
import { Command } from 'nest-commander';
import { BaselineService } from './baseline.service';
import { describeBaseline } from './baseline.messages';
import { BaselineResult } from './baseline.types';
import { BaselineBusyError, BaselineUsageError } from './baseline.errors';

interface BaselineFlags {
  table?: string[];
  json?: boolean;
  dryRun?: boolean;
  execute?: boolean;
  batchSize?: number;
  maxBatches?: number;
}

/**
 * `baseline --table NAME [--execute]`: records a snapshot of each existing
 * row without history (see `continuity` for why rows lack it).
 */
@RepeatableFlag('--table <name>', 'A table whose existing rows get a snapshot (repeatable)')
@ExecuteFlag('Write the snapshots (without it, a dry run)')
@DryRunFlag('Count what would be written; write nothing (the default)')
@PositiveIntegerFlag('--batch-size <n>', 'Rows per batch, one short transaction each (default 1000)')
@PositiveIntegerFlag('--max-batches <n>', 'Stop after N batches; run again to resume')
@JsonFlag()
@Command({
  name: 'baseline',
  description: 'Record one snapshot change per existing row without history (a dry run unless --execute)',
})
export class BaselineCommand extends ThreadlineCommand<BaselineFlags> {
  constructor(private readonly baselines: BaselineService) {
    super();
  }

  protected async execute(_args: string[], flags: BaselineFlags): Promise<void> {
    if (!flags.table?.length) throw BaselineUsageError.baselineNeedsTable();
    if (flags.execute && flags.dryRun) throw BaselineUsageError.executeAndDryRun();
    const results: BaselineResult[] = [];
    const progress = ProgressLine.start({ json: flags.json });
    for (const table of flags.table) {
      results.push(
        await this.baselines.baseline(table, {
          execute: flags.execute,
          batchSize: flags.batchSize,
          maxBatches: flags.maxBatches,
          onBatch: (p) => progress.update(`baseline ${p.table}: batch ${p.batch}, ${p.written} of ${p.total} rows`),
        }),
      );
    }
    progress.done();
    if (flags.json) commandOutput.json({ baselines: results });
    else commandOutput.text(results.map(describeBaseline).join('\n'));
    const busy = results.filter((r) => r.status === 'busy');
    if (busy.length) commandOutput.fail(BaselineBusyError.create(busy.map((r) => r.table)), 2);
  }
}

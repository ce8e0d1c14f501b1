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

function describeBaseline(r: BaselineResult): string {
  const tx = r.transactionId ? ` (baseline transaction ${r.transactionId})` : '';
  switch (r.status) {
    case 'dry_run':
      return `${r.table}: dry run, nothing written. ${r.rowsWithoutHistory} rows without history would get a snapshot, in about ${Math.ceil(r.rowsWithoutHistory / r.batchSize)} batches of ${r.batchSize}${r.resumed ? `; an interrupted baseline with ${r.snapshots} snapshots would be resumed${tx}` : ''}. Run again with --execute to write them.`;
    case 'nothing_to_do':
      return `${r.table}: every row already has history; no baseline needed.`;
    case 'busy':
      return `${r.table}: another baseline of this table is running; nothing written.`;
    case 'stopped':
      return `${r.table}: stopped after ${r.batches} batches, ${r.written} snapshots written (${r.snapshots} in all)${tx}. Run the same command again to resume.`;
    case 'complete':
      return `${r.table}: baseline complete${r.resumed ? ' (resumed)' : ''}: ${r.written} snapshots written in ${r.batches} batches, ${r.snapshots} in all${tx}. history() and asOf() answer for these rows from now on.`;
  }
}

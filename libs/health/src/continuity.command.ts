import { commandOutput, parsePositiveInteger, ThreadlineError } from '@threadline/core';
import { Command, CommandRunner, Option } from 'nest-commander';
import { BaselineProgress, BaselineResult, BaselineService } from './baseline.service';
import { ContinuityService, TableContinuity } from './continuity.service';

const EXPLANATION = `Capture starts at the first audited write after the triggers are installed (T0).
Rows that existed before have no history until they are next written: history() is empty
for them and asOf() answers before_audit_horizon, rather than inventing a past.
To give them history from now on, record a baseline: continuity --baseline --table NAME --execute`;

interface ContinuityFlags {
  table?: string[];
  json?: boolean;
  dryRun?: boolean;
  baseline?: boolean;
  execute?: boolean;
  batchSize?: number;
  maxBatches?: number;
}

/**
 * `continuity [--table NAME] [--json]`: explains the T0 cutover and checks each table exists and is covered.
 * `continuity --baseline --table NAME [--execute]`: records a snapshot of each existing row without history.
 */
@Command({
  name: 'continuity',
  description: 'Explain the capture cutover (T0), check each audited table is covered, or --baseline its existing rows',
})
export class ContinuityCommand extends CommandRunner {
  constructor(
    private readonly continuity: ContinuityService,
    private readonly baselines: BaselineService,
  ) {
    super();
  }

  async run(_args: string[], flags: ContinuityFlags): Promise<void> {
    try {
      if (flags.baseline) return await this.baseline(flags);
      if (flags.execute || flags.batchSize !== undefined || flags.maxBatches !== undefined) {
        throw new ThreadlineError('--execute, --batch-size and --max-batches go with --baseline');
      }
      const tables = await this.continuity.check(flags.table);
      if (tables.length === 0)
        throw new ThreadlineError('no tables to check: pass --table NAME or list tables under capture.tables');
      if (flags.json) commandOutput.json({ explanation: EXPLANATION.replace(/\n/g, ' '), tables });
      else commandOutput.text(`${EXPLANATION}\n\n${tables.map(describe).join('\n')}`);
      const failing = tables.filter((t) => t.problem);
      if (failing.length)
        commandOutput.fail(
          new ThreadlineError(`continuity check failed:\n  - ${failing.map((t) => t.problem).join('\n  - ')}`),
        );
    } catch (error) {
      commandOutput.fail(error);
    }
  }

  private async baseline(flags: ContinuityFlags): Promise<void> {
    if (!flags.table?.length)
      throw new ThreadlineError(
        '--baseline needs --table NAME (repeatable): the tables whose existing rows get a snapshot',
      );
    if (flags.execute && flags.dryRun)
      throw new ThreadlineError(
        '--execute and --dry-run contradict each other; without --execute the baseline is a dry run',
      );
    const results: BaselineResult[] = [];
    const report = progressReporter(flags.json === true);
    for (const table of flags.table) {
      results.push(
        await this.baselines.baseline(table, {
          execute: flags.execute,
          batchSize: flags.batchSize,
          maxBatches: flags.maxBatches,
          onBatch: report,
        }),
      );
    }
    if (report && process.stderr.isTTY) process.stderr.write('\n');
    if (flags.json) commandOutput.json({ baselines: results });
    else commandOutput.text(results.map(describeBaseline).join('\n'));
    const busy = results.filter((r) => r.status === 'busy');
    if (busy.length)
      commandOutput.fail(
        new ThreadlineError(
          `another baseline of ${busy.map((r) => r.table).join(', ')} is running; nothing written for it`,
        ),
        2,
      );
  }

  @Option({
    flags: '--baseline',
    description: 'Record one snapshot change per existing row without history (dry run unless --execute)',
  })
  parseBaseline(): boolean {
    return true;
  }

  @Option({ flags: '--execute', description: 'With --baseline: write the snapshots' })
  parseExecute(): boolean {
    return true;
  }

  @Option({
    flags: '--batch-size <n>',
    description: 'With --baseline: rows per batch, one short transaction each (default 1000)',
  })
  parseBatchSize(value: string): number {
    return parsePositiveInteger('--batch-size', value);
  }

  @Option({ flags: '--max-batches <n>', description: 'With --baseline: stop after N batches; run again to resume' })
  parseMaxBatches(value: string): number {
    return parsePositiveInteger('--max-batches', value);
  }

  @Option({ flags: '--table <name>', description: 'A table to check (repeatable; default: capture.tables)' })
  parseTable(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({
    flags: '--dry-run',
    description: 'Write nothing (the check never writes; a baseline writes only with --execute)',
  })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean {
    return true;
  }
}

function describe(t: TableContinuity): string {
  if (!t.exists) return `${t.table}: MISSING (not a table)`;
  const state = t.covered ? 'covered' : 'NOT COVERED';
  const since = t.firstCapturedAt ? `first change captured ${t.firstCapturedAt}` : 'no change captured yet';
  const gap = Math.max(0, t.rows - t.rowsWithHistory);
  return `${t.table}: ${state}; ${since}; ${t.rows} rows, ${t.rowsWithHistory} with history, about ${gap} without history until their first audited write`;
}

/** Progress on stderr: every batch on a terminal, at most every 5 seconds when piped, nothing with --json. */
function progressReporter(json: boolean): ((p: BaselineProgress) => void) | undefined {
  if (json) return undefined;
  const tty = process.stderr.isTTY;
  let last = Date.now();
  return (p) => {
    const line = `baseline ${p.table}: batch ${p.batch}, ${p.written} of ${p.total} rows`;
    if (tty) process.stderr.write(`\r${line}`);
    else if (Date.now() - last >= 5000) {
      process.stderr.write(`${line}\n`);
      last = Date.now();
    }
  };
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

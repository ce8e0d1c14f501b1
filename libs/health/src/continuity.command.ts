import {
  CheckFailedError,
  cliCommand,
  commandOutput,
  DryRunFlag,
  JsonFlag,
  RepeatableFlag,
  ThreadlineCommand,
} from '@threadline/core';
import { Command } from 'nest-commander';
import { ContinuityService, TableContinuity } from './continuity.service';
import { HealthUsageError } from './health.errors';

const explanation = () => `Capture starts at the first audited write after the triggers are installed (T0).
Rows that existed before have no history until they are next written: history() is empty
for them and asOf() answers before_audit_horizon, rather than inventing a past.
To give them history from now on, record a baseline: ${cliCommand('baseline --table NAME --execute')}`;

/** `continuity [--table NAME] [--json]`: explains the T0 cutover and checks each table exists and is covered. */
@RepeatableFlag('--table <name>', 'A table to check (repeatable; default: capture.tables)')
@DryRunFlag('Accepted for symmetry: the check never writes')
@JsonFlag()
@Command({
  name: 'continuity',
  description:
    'Explain the capture cutover (T0) and check each audited table is covered (`baseline` gives rows history)',
})
export class ContinuityCommand extends ThreadlineCommand<{ table?: string[]; json?: boolean }> {
  constructor(private readonly continuity: ContinuityService) {
    super();
  }

  protected async execute(_args: string[], flags: { table?: string[]; json?: boolean }): Promise<void> {
    const tables = await this.continuity.check(flags.table);
    if (tables.length === 0) throw HealthUsageError.noTablesToCheck();
    if (flags.json) commandOutput.json({ explanation: explanation().replace(/\n/g, ' '), tables });
    else commandOutput.text(`${explanation()}\n\n${tables.map(describe).join('\n')}`);
    const failing = tables.filter((t) => t.problem);
    if (failing.length)
      commandOutput.fail(
        CheckFailedError.create(
          'continuity check',
          failing.map((t) => t.problem!),
        ),
      );
  }
}

function describe(t: TableContinuity): string {
  if (!t.exists) return `${t.table}: MISSING (not a table)`;
  const state = t.covered ? 'covered' : 'NOT COVERED';
  const since = t.firstCapturedAt ? `first change captured ${t.firstCapturedAt}` : 'no change captured yet';
  const gap = Math.max(0, t.rows - t.rowsWithHistory);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return (
    `${t.table}: ${state}; ${since}; ${count(t.rows, 'row')} now, ${count(t.rowsWithHistory, 'key')} with captured history (rows deleted since included)` +
    (gap
      ? `, so at least ${count(gap, 'row')} ${gap === 1 ? 'has' : 'have'} no history until ${gap === 1 ? 'its' : 'their'} first audited write`
      : '')
  );
}

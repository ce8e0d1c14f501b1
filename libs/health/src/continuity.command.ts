import {
  CheckFailedError,
  commandOutput,
  DryRunFlag,
  JsonFlag,
  RepeatableFlag,
  ThreadlineCommand,
} from '@threadline/core';
import { Command } from 'nest-commander';
import { ContinuityService } from './continuity.service';
import { HealthUsageError } from './health.errors';
import { continuityExplanation, continuityLine } from './health.messages';

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
    if (flags.json) commandOutput.json({ explanation: continuityExplanation().replace(/\n/g, ' '), tables });
    else commandOutput.text([continuityExplanation(), '', ...tables.map(continuityLine)].join('\n'));
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

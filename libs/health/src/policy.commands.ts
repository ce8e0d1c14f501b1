import { commandOutput, CommandUsageError, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { CoverageService } from './coverage.service';
import { RedactionPolicyService } from './redaction-policy.service';
import { RedactionDriftError } from './health.errors';

@JsonFlag()
@SubCommand({ name: 'show', description: 'Show, per table, whether the deployed redaction matches the configuration' })
export class PolicyShowCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(
    private readonly policy: RedactionPolicyService,
    private readonly coverage: CoverageService,
  ) {
    super();
  }

  protected async execute(_args: string[], flags: { json?: boolean }): Promise<void> {
    const tables = await this.policy.redactionPolicy();
    const notMatching = tables.filter((t) => t.status !== 'matches');
    // Drift means data may be captured differently from what the configuration says, and an uncovered
    // expected table is not captured at all: either fails the command, for CI and scripts.
    const coverage = await this.coverage.report();
    const uncoveredExpected = [...coverage.uncoveredExpected, ...coverage.missingExpected];
    const reasons = [
      ...(notMatching.length
        ? [`deployed capture does not match the configuration for ${notMatching.map((t) => t.table).join(', ')}`]
        : []),
      ...(uncoveredExpected.length ? [`expected table(s) ${uncoveredExpected.join(', ')} are not covered`] : []),
    ];
    if (flags.json) commandOutput.json({ ok: reasons.length === 0, tables, uncoveredExpected });
    else if (tables.length === 0) commandOutput.text('No tables configured under capture.tables.');
    else {
      for (const t of tables) {
        const detail = t.status === 'drift' ? `: ${t.differences.join('; ')}` : t.reason ? `: ${t.reason}` : '';
        commandOutput.text(
          `${t.table}  ${t.label}${detail}\n  exclude: ${t.configured.exclude.join(', ') || '-'}  mask: ${t.configured.mask.join(', ') || '-'}`,
        );
      }
    }
    if (reasons.length) commandOutput.fail(RedactionDriftError.create(reasons));
  }
}

@Command({ name: 'policy', description: 'Redaction policy commands', subCommands: [PolicyShowCommand] })
export class PolicyCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(CommandUsageError.usage('policy show [--json]'));
  }
}

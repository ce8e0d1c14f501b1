import { CheckFailedError, commandOutput, CommandUsageError, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { CoverageService } from './coverage.service';
import { RedactionPolicyService } from './redaction-policy.service';
import {
  expectedButMissing,
  expectedButUncovered,
  NO_TABLES_CONFIGURED,
  policyLine,
  redactionDrift,
} from './health.messages';

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
      ...(notMatching.length ? [redactionDrift(notMatching.map((t) => t.table))] : []),
      ...coverage.uncoveredExpected.map(expectedButUncovered),
      ...coverage.missingExpected.map(expectedButMissing),
    ];
    if (flags.json) commandOutput.json({ ok: reasons.length === 0, tables, uncoveredExpected });
    else if (tables.length === 0) commandOutput.text(NO_TABLES_CONFIGURED);
    else
      for (const t of tables) {
        const detail = t.status === 'drift' ? t.differences.join('; ') : (t.reason ?? '');
        commandOutput.text(policyLine(t.table, t.label, detail, t.configured));
      }
    if (reasons.length) commandOutput.fail(CheckFailedError.create('policy show', reasons));
  }
}

@Command({ name: 'policy', description: 'Redaction policy commands', subCommands: [PolicyShowCommand] })
export class PolicyCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(CommandUsageError.usage('policy show [--json]'));
  }
}

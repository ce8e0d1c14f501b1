import { CheckFailedError, commandOutput, CommandUsageError, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CoverageReport, CoverageService } from './coverage.service';
import {
  coverageHeadings,
  coverageVerdict,
  expectedButMissing,
  expectedButUncovered,
  unclassified,
} from './health.messages';

interface CoverageFlags {
  json?: boolean;
  strict?: boolean;
}

function humanReport(r: CoverageReport): string {
  const line = (label: string, names: string[]) =>
    `${label} (${names.length})${names.length ? `: ${names.join(', ')}` : ''}`;
  const h = coverageHeadings;
  return [
    line(h.covered, r.covered),
    line(h.uncoveredExpected, r.uncoveredExpected),
    line(h.missingExpected, r.missingExpected),
    line(h.expectedUncovered, r.expectedUncovered),
    line(h.unclassified(r.strict), r.unclassified),
    line(
      h.drift,
      r.drift.map((d) => d.table),
    ),
    // each difference right under its own heading
    ...r.drift.flatMap((d) => d.differences.map((difference) => `  ${d.table}: ${difference}`)),
    line(h.notCapturedInReplicaRole, r.notCapturedInReplicaRole),
  ].join('\n');
}

/** `verify-coverage`: exit 1 when an expected table is uncovered or missing, or any table's capture drifted (also unclassified ones with --strict). For CI. */
@JsonFlag()
@Command({
  name: 'verify-coverage',
  description: 'Fail (exit 1) when a table in expectedTables is uncovered or missing, or deployed capture drifted',
})
export class VerifyCoverageCommand extends ThreadlineCommand<CoverageFlags> {
  constructor(private readonly coverage: CoverageService) {
    super();
  }

  protected async execute(_args: string[], flags: CoverageFlags): Promise<void> {
    const report = await this.coverage.report({ strict: flags.strict });
    if (flags.json) commandOutput.json(report);
    else commandOutput.text([humanReport(report), coverageVerdict(report.ok)].join('\n'));
    if (!report.ok || report.drift.length > 0) {
      const reasons = [
        ...report.drift.flatMap((d) => d.differences.map((difference) => `${d.table}: ${difference}`)),
        ...report.uncoveredExpected.map(expectedButUncovered),
        ...report.missingExpected.map(expectedButMissing),
        ...(report.strict ? report.unclassified.map(unclassified) : []),
      ];
      commandOutput.fail(CheckFailedError.create('verify-coverage', reasons));
    }
  }

  @Option({ flags: '--strict', description: 'Also fail on unclassified uncovered tables' })
  parseStrict(): boolean {
    return true;
  }
}

@JsonFlag()
@SubCommand({ name: 'coverage', description: 'Show trigger coverage of every table, by bucket' })
export class HealthCoverageCommand extends ThreadlineCommand<CoverageFlags> {
  constructor(private readonly coverage: CoverageService) {
    super();
  }

  protected async execute(_args: string[], flags: CoverageFlags): Promise<void> {
    const report = await this.coverage.report();
    if (flags.json) return commandOutput.json(report);
    commandOutput.text(humanReport(report));
  }
}

@Command({ name: 'health', description: 'Health commands', subCommands: [HealthCoverageCommand] })
export class HealthCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(CommandUsageError.usage('health coverage [--json]'));
  }
}

import { commandOutput, ThreadlineError } from '@threadline/capture';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { RedactionPolicyService } from './redaction-policy.service';

@SubCommand({ name: 'show', description: 'Show, per table, whether the deployed redaction matches the configuration' })
export class PolicyShowCommand extends CommandRunner {
  constructor(private readonly policy: RedactionPolicyService) {
    super();
  }

  async run(_args: string[], flags: { json?: boolean }): Promise<void> {
    try {
      const tables = await this.policy.redactionPolicy();
      const notMatching = tables.filter((t) => t.status !== 'matches');
      if (flags.json) commandOutput.json({ ok: notMatching.length === 0, tables });
      else if (tables.length === 0) commandOutput.text('No tables configured under capture.tables.');
      else {
        for (const t of tables) {
          const detail = t.status === 'drift' ? `: ${t.differences.join('; ')}` : t.reason ? `: ${t.reason}` : '';
          commandOutput.text(`${t.table}  ${t.label}${detail}\n  exclude: ${t.configured.exclude.join(', ') || '-'}  mask: ${t.configured.mask.join(', ') || '-'}`);
        }
      }
      // Drift means data may be captured differently from what the configuration says: fail, for CI and scripts.
      if (notMatching.length) {
        commandOutput.fail(new ThreadlineError(`policy show: deployed capture does not match the configuration for ${notMatching.map((t) => t.table).join(', ')}; run gen-triggers and apply the migration`));
      }
    } catch (error) {
      commandOutput.fail(error);
    }
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'policy', description: 'Redaction policy commands', subCommands: [PolicyShowCommand] })
export class PolicyCommand extends CommandRunner {
  async run(): Promise<void> {
    commandOutput.fail(new ThreadlineError('usage: policy show [--json]'));
  }
}

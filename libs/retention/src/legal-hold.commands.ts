import { addFlag, commandOutput, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { filtersFromParams, TIMELINE_FILTERS } from '@threadline/query';
import { SubCommand } from 'nest-commander';
import { LegalHoldService } from './legal-hold.service';
import { holdListed, holdsListed } from './retention.messages';

interface HoldFlags extends Record<string, unknown> {
  reason?: string;
  by?: string;
  json?: boolean;
}

/** `retention hold [timeline filters] --reason TEXT --by NAME [--json]`: sets a legal hold. */
@JsonFlag()
@SubCommand({
  name: 'hold',
  description:
    'Set a legal hold: no purge deletes the changes these timeline filters select until it is released (--reason and --by required)',
})
export class RetentionHoldCommand extends ThreadlineCommand<HoldFlags> {
  constructor(private readonly holds: LegalHoldService) {
    super();
  }

  protected async execute(_args: string[], flags: HoldFlags): Promise<void> {
    const hold = await this.holds.hold({
      filters: filtersFromParams(flags),
      reason: flags.reason as string,
      heldBy: flags.by as string,
    });
    if (flags.json) return commandOutput.json(hold);
    commandOutput.text(holdListed(hold));
  }
}
addFlag(RetentionHoldCommand, '--reason <text>', 'Why the changes must be kept (required)', (v) => v);
addFlag(RetentionHoldCommand, '--by <name>', 'Who sets the hold: a person or ticket (required)', (v) => v);
// One flag per timeline filter, as `timeline` and `export` take them.
for (const field of TIMELINE_FILTERS) {
  const flag = field.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  addFlag(RetentionHoldCommand, `--${flag} <${field.arg}>`, field.description, (value) => value);
}

/** `retention holds [--all] [--json]`: the legal holds in force (with --all, released ones too). */
@JsonFlag()
@SubCommand({ name: 'holds', description: 'List the legal holds in force (--all: released ones too)' })
export class RetentionHoldsCommand extends ThreadlineCommand<{ all?: boolean; json?: boolean }> {
  constructor(private readonly holds: LegalHoldService) {
    super();
  }

  protected async execute(_args: string[], flags: { all?: boolean; json?: boolean }): Promise<void> {
    const holds = await this.holds.list({ all: flags.all });
    if (flags.json) return commandOutput.json(holds);
    commandOutput.text(holdsListed(holds, Boolean(flags.all)));
  }
}
addFlag(RetentionHoldsCommand, '--all', 'Released holds too');

/** `retention release-hold <id> --reason TEXT --by NAME [--json]`: ends a hold, keeping its record. */
@JsonFlag()
@SubCommand({
  name: 'release-hold',
  arguments: '<id>',
  description:
    'Release a legal hold (its record stays, with who released it, when and why; --reason and --by required)',
})
export class RetentionReleaseHoldCommand extends ThreadlineCommand<HoldFlags> {
  constructor(private readonly holds: LegalHoldService) {
    super();
  }

  protected async execute(args: string[], flags: HoldFlags): Promise<void> {
    const hold = await this.holds.release(args[0], {
      reason: flags.reason as string,
      releasedBy: flags.by as string,
    });
    if (flags.json) return commandOutput.json(hold);
    commandOutput.text(holdListed(hold));
  }
}
addFlag(RetentionReleaseHoldCommand, '--reason <text>', 'Why the hold ends (required)', (v) => v);
addFlag(RetentionReleaseHoldCommand, '--by <name>', 'Who releases it (required)', (v) => v);

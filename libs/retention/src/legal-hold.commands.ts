import { addFlag, CommandUsageError, commandOutput, JsonFlag, OnceFlag, ThreadlineCommand } from '@threadline/core';
import { filtersFromParams, TIMELINE_FILTERS } from '@threadline/query';
import { SubCommand } from 'nest-commander';
import { COVERS_CAP, LegalHoldService } from './legal-hold.service';
import { holdListed, holdSet, holdsListed } from './retention.messages';

const HOLD_USAGE = 'retention hold [timeline filters] --reason TEXT --by NAME [--json]';
const RELEASE_USAGE = 'retention release-hold ID --reason TEXT --by NAME [--json]';

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

  protected async execute(args: string[], flags: HoldFlags): Promise<void> {
    if (args.length) throw CommandUsageError.unexpectedArguments(args, HOLD_USAGE);
    const hold = await this.holds.hold({
      filters: filtersFromParams(flags),
      reason: flags.reason as string,
      heldBy: flags.by as string,
    });
    const covers = await this.holds.covers(hold.filters);
    if (flags.json) return commandOutput.json({ ...hold, coversNow: covers });
    commandOutput.text(holdSet(hold, covers, COVERS_CAP));
  }
}
OnceFlag('--reason <text>', 'Why the changes must be kept (required)')(RetentionHoldCommand);
OnceFlag('--by <name>', 'Who sets the hold: a person or ticket (required)')(RetentionHoldCommand);
// One flag per timeline filter, as `timeline` and `export` take them; each once (a hold's filters all apply).
for (const field of TIMELINE_FILTERS) {
  const flag = field.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  OnceFlag(`--${flag} <${field.arg}>`, field.description)(RetentionHoldCommand);
}

/** `retention holds [--all] [--json]`: the legal holds in force (with --all, released ones too). */
@JsonFlag()
@SubCommand({ name: 'holds', description: 'List the legal holds in force (--all: released ones too)' })
export class RetentionHoldsCommand extends ThreadlineCommand<{ all?: boolean; json?: boolean }> {
  constructor(private readonly holds: LegalHoldService) {
    super();
  }

  protected async execute(args: string[], flags: { all?: boolean; json?: boolean }): Promise<void> {
    if (args.length) throw CommandUsageError.unexpectedArguments(args, 'retention holds [--all] [--json]');
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
    if (args.length > 1) throw CommandUsageError.unexpectedArguments(args.slice(1), RELEASE_USAGE);
    const hold = await this.holds.release(args[0], {
      reason: flags.reason as string,
      releasedBy: flags.by as string,
    });
    if (flags.json) return commandOutput.json(hold);
    commandOutput.text(holdListed(hold));
  }
}
OnceFlag('--reason <text>', 'Why the hold ends (required)')(RetentionReleaseHoldCommand);
OnceFlag('--by <name>', 'Who releases it (required)')(RetentionReleaseHoldCommand);

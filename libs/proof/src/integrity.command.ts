import {
  addFlag,
  CheckFailedError,
  commandOutput,
  CommandUsageError,
  JsonFlag,
  ProgressLine,
  RepeatableFlag,
  ThreadlineCommand,
} from '@threadline/core';
import { Command } from 'nest-commander';
import { readFile } from 'node:fs/promises';
import { readKeptCheckpoints } from './checkpoint-store';
import { CheckpointService } from './checkpoint.service';
import { readVerifier } from './signed-note';
import { CompletenessService } from './completeness.service';
import { IntegrityService, parseKeptHead } from './integrity.service';
import { describeCompleteness, describeIntegrity } from './proof.messages';

interface IntegrityFlags {
  checkpoints?: string;
  publicKey?: string;
  from?: string;
  afterHead?: string;
  to?: string;
  json?: boolean;
  completeness?: boolean;
  table?: string[];
  archive?: boolean;
}

/**
 * `verify-integrity [--from T | --after-head SEQ:SHA256] [--to T] [--completeness [--table NAME]] [--json]`:
 * seals what has committed, recomputes the hash chain, exits 1 naming the
 * first sealed transaction or change that was altered, inserted or deleted;
 * with --completeness also when a current row's latest captured image is
 * missing or differs from the row.
 */
@RepeatableFlag('--table <name>', 'With --completeness: a table to check (repeatable; default: capture.tables)')
@JsonFlag()
@Command({
  name: 'verify-integrity',
  description:
    'Seal committed audit transactions, recompute the hash chain, and fail (exit 1) naming the first record altered, inserted or deleted after sealing',
})
export class VerifyIntegrityCommand extends ThreadlineCommand<IntegrityFlags> {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly completeness: CompletenessService,
    private readonly checkpointService: CheckpointService,
  ) {
    super();
  }

  protected async execute(_args: string[], flags: IntegrityFlags): Promise<void> {
    const kept = await this.keptCheckpoints(flags);
    const progress = ProgressLine.start({ json: flags.json });
    const report = await this.integrity.verify({
      checkpoints: kept?.checkpoints,
      from: flags.from,
      afterHead: flags.afterHead === undefined ? undefined : parseKeptHead(flags.afterHead),
      to: flags.to,
      archive: flags.archive || undefined,
      onProgress: (checked) => progress.update(`verify-integrity: ${checked} seals checked`),
    });
    progress.done();
    const completeness = flags.completeness
      ? await this.completeness.check({
          tables: flags.table,
          onProgress: (table, rows) => progress.update(`verify-integrity --completeness: ${table} ${rows} rows`),
        })
      : undefined;
    progress.done();
    if (flags.json) commandOutput.json(completeness ? { ...report, completeness } : report);
    else
      commandOutput.text(
        [describeIntegrity(report), ...(completeness ? [describeCompleteness(completeness)] : [])].join('\n'),
      );
    const failures = [
      ...(kept?.problems ?? []),
      ...(report.ok
        ? []
        : [`${report.problemCount} sealed record problem(s); first: ${report.problems[0]?.message ?? 'see --json'}`]),
      ...(completeness?.ok === false
        ? completeness.tables
            .filter((t) => t.problem || t.withoutHistory || t.divergent || t.missing)
            .map(
              (t) =>
                t.problem ??
                `${t.table}: ${t.withoutHistory} row(s) without history, ${t.divergent} whose latest captured change differs, ${t.missing} the history has that the table does not (first: ${JSON.stringify(t.gaps[0]?.key)} ${t.gaps[0]?.problem})`,
            )
        : []),
    ];
    if (failures.length) commandOutput.fail(CheckFailedError.create('verify-integrity', failures));
  }

  /** With --checkpoints: the kept checkpoints, each signature checked with --public-key (or the configured key). */
  private async keptCheckpoints(flags: IntegrityFlags) {
    if (flags.checkpoints === undefined) {
      if (flags.publicKey !== undefined) throw CommandUsageError.usage(CHECKPOINT_USAGE);
      return null;
    }
    const verifier = flags.publicKey
      ? readVerifier(await readFile(flags.publicKey, 'utf8'), flags.publicKey)
      : await this.checkpointService.verifier().catch(() => {
          throw CommandUsageError.usage(CHECKPOINT_USAGE);
        });
    return readKeptCheckpoints(flags.checkpoints, verifier);
  }
}

const CHECKPOINT_USAGE =
  'verify-integrity --checkpoints <dir> --public-key <file> (the verifier key public-key prints)';
addFlag(
  VerifyIntegrityCommand,
  '--checkpoints <dir>',
  'Also check the seals against every signed checkpoint kept in this directory (the whole chain is walked)',
  (v) => v,
);
addFlag(
  VerifyIntegrityCommand,
  '--public-key <file>',
  'With --checkpoints: the verifier key of the log that signed them (what public-key prints)',
  (v) => v,
);
addFlag(
  VerifyIntegrityCommand,
  '--archive',
  'Verify as an archive whose subscription is gone: seal nothing, excuse nothing by the ledger (an archive with its subscription is recognized without it)',
);
addFlag(VerifyIntegrityCommand, '--from <timestamp>', 'Only seals made at or after this ISO 8601 instant', (v) => v);
addFlag(VerifyIntegrityCommand, '--to <timestamp>', 'Only seals made before this ISO 8601 instant', (v) => v);
addFlag(
  VerifyIntegrityCommand,
  '--after-head <seq:sha256>',
  'Only the seals after a head an earlier run printed and you kept outside the database (fails if the chain no longer has it)',
  (v) => v,
);
addFlag(
  VerifyIntegrityCommand,
  '--completeness',
  "Also check that every current row's latest captured image equals the row and every row the history says exists is there (exit 1 on a row without history, a divergent image or a missing row)",
);

import {
  addFlag,
  CheckFailedError,
  commandOutput,
  CommandUsageError,
  JsonFlag,
  ThreadlineCommand,
} from '@threadline/core';
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'nest-commander';
import { CheckpointService } from './checkpoint.service';
import { verifyProofText } from './proof-file';
import { stringify } from 'lossless-json';
import { checkpointEmitted, proofHolds, proofWritten } from './proof.messages';
import { ProofService } from './proof.service';
import { createPublicKey } from 'node:crypto';
import { readVerifier } from './signed-note';

/** `checkpoint [--json]`: seals what committed, signs a checkpoint of the tree now, keeps it; prints where. */
@JsonFlag()
@Command({
  name: 'checkpoint',
  description:
    'Seal what committed, sign a checkpoint of the Merkle tree over the seals now, and keep it outside the database (prints its file)',
})
export class CheckpointCommand extends ThreadlineCommand<{ json?: boolean }> {
  constructor(private readonly checkpoints: CheckpointService) {
    super();
  }

  protected async execute(_args: string[], flags: { json?: boolean }): Promise<void> {
    const { checkpoint, path } = await this.checkpoints.emit();
    if (flags.json) commandOutput.json({ ...checkpoint, path });
    else commandOutput.text(checkpointEmitted(path, checkpoint));
  }
}

/** `public-key [--pem]`: prints the key that verifies this log's checkpoints and proofs. */
@Command({
  name: 'public-key',
  description:
    "Print the verifier key of this log's checkpoints (<origin>+<key id>+<key>: what verify-proof, verify-integrity and verify-export take; --pem for the bare Ed25519 public key, for other tools)",
})
export class PublicKeyCommand extends ThreadlineCommand<{ pem?: boolean }> {
  constructor(private readonly checkpoints: CheckpointService) {
    super();
  }

  protected async execute(_args: string[], flags: { pem?: boolean }): Promise<void> {
    const text = await this.checkpoints.publicKey();
    if (!flags.pem) return commandOutput.text(text);
    const { publicKey } = await this.checkpoints.verifier();
    commandOutput.text(
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString(),
    );
  }
}
addFlag(
  PublicKeyCommand,
  '--pem',
  'Print the Ed25519 public key in PEM instead (for other tools: it names no log, so Threadline verifiers refuse it)',
);

interface ProofFlags {
  transaction?: string;
  change?: string;
  out?: string;
  checkpoints?: string;
}

/** `proof --transaction ID | --change ID [--out FILE] [--checkpoints DIR]`: an offline proof of one sealed transaction or change. */
@Command({
  name: 'proof',
  description:
    'Write an offline proof that one sealed transaction (or change) is in the log: its content, inclusion path and signed checkpoint (JSON, checkable with verify-proof and the public key alone)',
})
export class ProofCommand extends ThreadlineCommand<ProofFlags> {
  constructor(private readonly proofs: ProofService) {
    super();
  }

  protected async execute(_args: string[], flags: ProofFlags): Promise<void> {
    if ((flags.transaction === undefined) === (flags.change === undefined))
      throw CommandUsageError.usage(
        'proof --transaction <id> | --change <id> [--out <file>] [--checkpoints <dir>] (one of --transaction and --change)',
      );
    const proof = await this.proofs.prove(
      flags.change !== undefined ? { changeId: flags.change } : { transactionId: flags.transaction! },
      flags.checkpoints,
    );
    const text = `${JSON.stringify(proof, null, 2)}\n`;
    if (!flags.out) return commandOutput.text(text);
    await writeFile(flags.out, text);
    // the checkpoint's second line is its tree size (c2sp.org/tlog-checkpoint)
    const size = Number(proof.checkpoint.split('\n')[1]);
    commandOutput.text(proofWritten(flags.out, Buffer.byteLength(text), proof.seq, size));
  }
}
addFlag(ProofCommand, '--transaction <id>', 'The audit transaction to prove (audit_transactions.id)', (v) => v);
addFlag(ProofCommand, '--change <id>', 'The change to prove (audit_changes.id), with its transaction', (v) => v);
addFlag(ProofCommand, '--out <file>', 'Write the proof to this file instead of stdout', (v) => v);
addFlag(
  ProofCommand,
  '--checkpoints <dir>',
  'Prove against the latest checkpoint kept in this directory (default: the configured one)',
  (v) => v,
);

/** `verify-proof FILE --public-key FILE [--json]`: checks a proof with the public key alone; exit 1 when it does not hold. */
@JsonFlag()
@Command({
  name: 'verify-proof',
  arguments: '<file>',
  description:
    "Check an offline proof with the log's public key alone (the check reads no database; npx threadline-verify-proof runs it without the app): exit 1 naming what does not hold",
})
export class VerifyProofCommand extends ThreadlineCommand<{ publicKey?: string; json?: boolean }> {
  protected async execute(args: string[], flags: { publicKey?: string; json?: boolean }): Promise<void> {
    if (!flags.publicKey || !args[0])
      throw CommandUsageError.usage('verify-proof <proof file> --public-key <file> [--json]');
    const verifier = readVerifier(await readFile(flags.publicKey, 'utf8'), flags.publicKey);
    const checked = verifyProofText(await readFile(args[0], 'utf8'), verifier);
    // lossless: the rows' numbers as stored, not as JavaScript numbers nor as objects
    if (flags.json) commandOutput.text(stringify(checked, null, 2)!);
    else if (checked.ok) commandOutput.text(proofHolds(checked));
    if (!checked.ok) commandOutput.fail(CheckFailedError.create('verify-proof', [checked.problem]));
  }
}
addFlag(
  VerifyProofCommand,
  '--public-key <file>',
  'The verifier key, as public-key prints it (it names the log; a PEM key is refused)',
  (v) => v,
);

import { cliCommand } from '@threadline/core';

/**
 * The texts @threadline/proof returns or logs (option problems, log lines,
 * the problems a completeness check reports), in one place; each says how to
 * fix the problem. Thrown errors are in proof.errors.ts; the problems a
 * verification finds in the chain are in integrity.problems.ts.
 */
/** Option problems (`health.integrity...` through ThreadlineModule, `proof.integrity...` on its own). */
export function notSeconds(path: string, key: string, got: unknown): string {
  return `${path}.${key} must be a whole number of seconds from 0 to 86400 (got ${JSON.stringify(got)})`;
}

/** Logged by the background sealer. */
export function sealingFailed(error: unknown): string {
  return `threadline sealing failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Problems completeness reports per table, each with its fix. */
export function notATableWithPrimaryKey(table: string): string {
  return `${table} is not a table with a primary key`;
}

export function noCaptureDeployed(table: string): string {
  return `${table} has no Threadline capture deployed (run ${cliCommand('gen-triggers')} and your migrations)`;
}

/** Why a signed note (a checkpoint) was not accepted. */
export const noteProblems = {
  notANote: () => 'it is not a signed note (no blank line before the signature lines)',
  malformedLine: (line: string) => `a signature line is malformed: ${JSON.stringify(line.slice(0, 80))}`,
  badSignature: (name: string) =>
    `the signature of ${name} does not verify: the note was altered after signing, or signed by another key of that name`,
  unsigned: (name: string, id: string) => `no signature by ${name} (key id ${id}) is on the note`,
};

/** Problems with `health.integrity.checkpoints`, each saying what is allowed. */
export const checkpointOptionProblems = {
  noSink: (path: string) =>
    `${path} needs somewhere outside the database to keep checkpoints: a directory (directory: '/var/lib/app/checkpoints') or a sink (a Writable or a function)`,
  notAPath: (path: string, key: string, got: unknown) =>
    `${path}.${key} must be a non-empty path (got ${JSON.stringify(got)})`,
  oneKey: (path: string) =>
    `${path} needs exactly one of privateKeyFile (a PKCS#8 PEM Ed25519 private key file: openssl genpkey -algorithm ed25519 -out checkpoint-key.pem) and privateKey (the PEM text)`,
  origin: (path: string, got: unknown) =>
    `${path}.origin must be a name without spaces or '+', such as example.com/audit (got ${JSON.stringify(got)})`,
  range: (path: string, key: string, min: number, max: number, got: unknown) =>
    `${path}.${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(got)})`,
  sink: (path: string) => `${path}.sink must be a Writable stream or a function (checkpoint) => void | Promise<void>`,
};

/** Why a kept checkpoint file is not taken. */
export const keptCheckpointProblems = {
  none: (directory: string) =>
    `no checkpoint files (*.checkpoint) in ${directory}: run the checkpoint command, or point at the directory health.integrity.checkpoints.directory names`,
  notSigned: (file: string, why: string) => `${file} is not a checkpoint signed by that key: ${why}`,
  notACheckpoint: (file: string) =>
    `${file} is signed but is not a checkpoint (origin, tree size, base64 root hash, one a line)`,
  notAFile: (file: string) =>
    `${file} is not a regular file (a FIFO, device, directory or symlink): not read, so it cannot hang or flood the check; remove it`,
  tooLarge: (file: string, bytes: number) => `${file} is ${bytes} bytes: a checkpoint is a few hundred; not read`,
  misnamed: (file: string, size: number) =>
    `${file} holds the checkpoint of ${size} seals under another size's name: a kept file was copied or renamed; not taken`,
  notAnExport: () => "the manifest's signed checkpoint names no export file (no export-sha256 line)",
  otherLog: (file: string, origin: string, key: string) =>
    `${file} is a checkpoint of ${origin}, signed by key ${key}: a checkpoint is signed by its own log's key`,
};

/** Logged by the checkpointer when a checkpoint could not be kept (retried at the next tick). */
export function checkpointFailed(error: unknown): string {
  return `threadline checkpoint failed (retried at the next tick; health reports it meanwhile): ${error instanceof Error ? error.message : String(error)}`;
}

/** Why a proof file does not hold (verify-proof). */
export const proofProblems = {
  binUsage: () =>
    'usage: threadline-verify-proof <proof file> --public-key <file> [--json] (the key: what public-key prints, or PEM)',
  malformed: (error: unknown) =>
    `the proof file is malformed: ${error instanceof Error ? error.message : String(error)} (a proof has format, seal, transaction, treeSize, inclusion and checkpoint)`,
  format: (got: unknown) => `not a Threadline proof file (format ${JSON.stringify(got)}; expected threadline-proof/1)`,
  size: (claimed: number, signed: number) =>
    `the proof is for a tree of ${claimed} seals but its checkpoint is signed for ${signed}`,
  sealFormat: (format: number) =>
    `seal format ${format} cannot be proved (only seals of schema v5 on, formats 2 and 3)`,
  changeCount: (sealed: number, listed: number) =>
    `the seal counts ${sealed} changes but the proof lists ${listed} change hashes`,
  content: (seq: number) =>
    `the transaction's content does not hash to seal #${seq}'s content hash: the transaction, its actions or its changes were altered in the proof`,
  transactionId: (sealed: string, row: unknown) =>
    `the transaction row is ${JSON.stringify(row)}, not the sealed transaction ${sealed}`,
  changeFormat: (format: number) =>
    `a change of a format ${format} seal is hashed value by value: prove its transaction (--transaction) instead`,
  change: (id: string) => `change ${id} does not hash to the change hash the proof places it at: it was altered`,
  changeId: (id: string, row: unknown) => `the change row is ${JSON.stringify(row)}, not change ${id}`,
  inclusion: (seq: number, size: number) =>
    `the inclusion path does not lead from seal #${seq} to the signed root of ${size} seals: the seal is not in that tree, or the proof was altered`,
};

/** What verify-proof (the command and the package's bin) prints for a proof that holds. */
export function proofHolds(c: {
  seq: number;
  transactionId: string;
  changeId: string | null;
  origin: string;
  treeSize: number;
}): string {
  return `OK: seal #${c.seq} (transaction ${c.transactionId}${c.changeId ? `, change ${c.changeId}` : ''}) is in ${c.origin} at ${c.treeSize} seals, as its signed checkpoint says`;
}

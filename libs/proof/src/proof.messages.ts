import { cliCommand, gotText } from '@threadline/core';
import { stringify } from 'lossless-json';
import type { CompletenessReport } from './completeness.types';
import type { IntegrityReport } from './integrity.types';

/**
 * The texts @threadline/proof returns or logs (option problems, log lines,
 * the problems a completeness check reports), in one place; each says how to
 * fix the problem. Thrown errors are in proof.errors.ts; the problems a
 * verification finds in the chain are in integrity.problems.ts.
 */
/** Option problems (`health.integrity...` through ThreadlineModule, `proof.integrity...` on its own). */
export function notSeconds(path: string, key: string, got: unknown): string {
  return `${path}.${key} must be a whole number of seconds from 0 to 86400 ${gotText(got)}`;
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
  notAPath: (path: string, key: string, got: unknown) => `${path}.${key} must be a non-empty path ${gotText(got)}`,
  oneKey: (path: string) =>
    `${path} needs exactly one of privateKeyFile (a PKCS#8 PEM Ed25519 private key file: openssl genpkey -algorithm ed25519 -out checkpoint-key.pem) and privateKey (the PEM text)`,
  origin: (path: string, got: unknown) =>
    `${path}.origin must be a name without spaces or '+', such as example.com/audit ${gotText(got)}`,
  range: (path: string, key: string, min: number, max: number, got: unknown) =>
    `${path}.${key} must be a whole number from ${min} to ${max} ${gotText(got)}`,
  sink: (path: string) => `${path}.sink must be a Writable stream or a function (checkpoint) => void | Promise<void>`,
};

/** Why a kept checkpoint file is not taken. */
export const keptCheckpointProblems = {
  unreadable: (directory: string, error: unknown) =>
    `${directory} cannot be read as a checkpoint directory (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the directory health.integrity.checkpoints.directory names`,
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
    'usage: threadline-verify-proof <proof file> --public-key <file> [--json] (the key: the verifier key text public-key prints)',
  malformed: (error: unknown) =>
    `the proof file is malformed: ${error instanceof Error ? error.message : String(error)} (a proof has format, seq, sealFormat, transaction, actionsSha256, changeSha256, inclusion and checkpoint, and may have change)`,
  format: (got: unknown) => `not a Threadline proof file (format ${JSON.stringify(got)}; expected threadline-proof/1)`,
  notWellFormed: (field: string) =>
    `${field} holds a lone surrogate (not well-formed Unicode): it would hash as U+FFFD, the stored text, and show another`,
  notAWholeNumber: (text: string) =>
    `${text} is not a whole number as a proof writes one (no fraction, exponent or leading zero)`,
  unknownFields: (keys: string[]) =>
    `a proof has no field ${keys.map((k) => JSON.stringify(k)).join(', ') || '(an object that is not plain)'}: only what its check reads, nothing beside it`,
  notANote: () => 'checkpoint must be the signed checkpoint note, a string',
  notASeq: (got: unknown) => `seq must be a seal number, a whole number from 1 ${gotText(got)}`,
  notBase64: (field: string) => `${field} must be standard base64 (RFC 4648 section 4, padded)`,
  notHashes: (field: string, bytes: number) =>
    `${field} holds ${bytes} bytes: it must be SHA-256 hashes of 32 bytes end to end`,
  notOneHash: (field: string, count: number) => `${field} must be one SHA-256 hash (got ${count})`,
  notARow: (field: string, error?: unknown) =>
    `${field} must be a canonical row text: a JSON array whose first element is its id${error ? ` (${error instanceof Error ? error.message : String(error)})` : ''}`,
  sealFormat: (format: unknown) =>
    `seal format ${JSON.stringify(format)} cannot be proved (only seals of schema v5 on, formats 2 and 3)`,
  changeFormat: (format: number) =>
    `a change of a format ${format} seal is hashed value by value: prove its transaction (--transaction) instead`,
  change: (id: string) =>
    `change ${id} does not hash to any of the transaction's change hashes: it was altered, or is not a change of that transaction`,
  inclusion: (seq: number, size: number) =>
    `seal #${seq}, hashed from the transaction, its actions and its change hashes as the proof gives them, does not lead along the inclusion path to the signed root of ${size} seals: the transaction, a change hash or the path was altered, or the seal is not in that tree`,
};

/**
 * What verify-proof (the command and the package's bin) prints for a proof that holds: the line, then the
 * content it proved (the transaction row, and the change), as a reader should take it, never as the file
 * happens to spell it.
 */
export function proofHolds(c: {
  seq: number;
  transactionId: string;
  changeId: string | null;
  origin: string;
  treeSize: number;
  transaction: unknown[];
  change: unknown[] | null;
}): string {
  return [
    `OK: seal #${c.seq} (transaction ${c.transactionId}${c.changeId ? `, change ${c.changeId}` : ''}) is in ${c.origin} at ${c.treeSize} seals, as its signed checkpoint says`,
    `  transaction: ${stringify(c.transaction)}`,
    ...(c.change ? [`  change: ${stringify(c.change)}`] : []),
  ].join('\n');
}

/** What `checkpoint` prints: where the checkpoint was kept, and what it signs. */
export function checkpointEmitted(
  path: string | null,
  c: { origin: string; size: number; rootSha256: string; time: string },
): string {
  return `${path ?? 'kept by the configured sink'}\n${c.origin}: ${c.size} seals, root ${c.rootSha256} (${c.time})`;
}

/** What `proof --out FILE` prints. */
export function proofWritten(file: string, bytes: number, seq: number, treeSize: number): string {
  return `${file} (${bytes} bytes): seal #${seq} in the tree of ${treeSize}`;
}

/** `verify-integrity --completeness`: the completeness part of the report. */
export function describeCompleteness(r: CompletenessReport): string {
  return [
    'completeness:',
    ...r.tables.map((t) =>
      t.problem
        ? `  ${t.table}: NOT CHECKED: ${t.problem}`
        : `  ${t.table}: ${t.rows} rows, ${t.withoutHistory} without history, ${t.divergent} divergent, ${t.missing} missing${t.gaps
            .slice(0, 10)
            .map((g) => `\n    ${JSON.stringify(g.key)} ${g.problem}${g.columns ? ` (${g.columns.join(', ')})` : ''}`)
            .join('')}`,
    ),
    r.ok
      ? 'OK: every current row is where its history ends, and every row it says exists does'
      : 'FAILED: rows changed, deleted or truncated without a captured change',
  ].join('\n');
}

/** `verify-integrity`: the report, line by line. */
export function describeIntegrity(r: IntegrityReport): string {
  return [
    `sealed now: ${r.sealedNow}`,
    `checked: ${r.checked} seal(s)${r.afterHead ? ` after the kept head #${r.afterHead.seq}` : ''}${r.from || r.to ? ` made in [${r.from ?? 'start'}, ${r.to ?? 'now'})` : ''}`,
    r.purged
      ? `purged: ${r.purged} sealed transaction(s), each as the sealed purge ledger records it; every seal still checked`
      : 'purged: nothing, every sealed transaction is present',
    ...(r.checkpoint
      ? [
          `checkpoint of a purge before v5: seal #${r.checkpoint.seq} (${r.checkpoint.reason}, ${r.checkpoint.createdAt})`,
        ]
      : []),
    r.head
      ? `head: ${r.head.seq}:${r.head.chainSha256} (keep it outside the database: --after-head with it later checks that the chain still has it, and only the seals made since)`
      : 'head: nothing sealed yet',
    ...r.problems.map((p) => `  - ${p.message}`),
    r.ok ? 'OK: every sealed record is as it was sealed' : `FAILED: ${r.problemCount} problem(s)`,
  ].join('\n');
}

/** The bin's (and verify-proof's) refusal line. */
export function proofFailed(problem: string): string {
  return `FAILED: ${problem}`;
}

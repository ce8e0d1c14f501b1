import { createHash } from 'node:crypto';
import { isLosslessNumber, parse } from 'lossless-json';
import { chainLinkText } from '@threadline/capture';
import { leafHash, verifyInclusion } from './merkle';
import { proofProblems } from './proof.messages';
import { readCheckpointNote } from './checkpoint-store';
import { NoteVerifier } from './signed-note';

/** The version of the proof file's shape. */
export const PROOF_FORMAT = 'threadline-proof/1';

/**
 * A proof that one sealed transaction (and, optionally, one of its changes) is in the log that a signed
 * checkpoint stands for: checkable with the log's public key and nothing else (`verify-proof`). Hashes
 * are base64, a list of them one string of 32-byte hashes end to end; what can be derived (the
 * transaction id, the change count, the tree size) is not repeated. docs/trust.md shows the check in
 * about 40 lines of plain Node.
 */
export interface ProofFile {
  /** The shape's version, `threadline-proof/1`. */
  format: typeof PROOF_FORMAT;
  /** The seal's number; its leaf is `seq - 1` in the tree. */
  seq: number;
  /** The seal's format: 2 (changes hashed whole) or 3 (a large transaction, hashed value by value). */
  sealFormat: number;
  /** The transaction row's canonical text, a JSON array whose first element is its id. */
  transaction: string;
  /** The digest of the transaction's actions. */
  actionsSha256: string;
  /** Each change's hash in id order (the seal's change count is their number). */
  changeSha256: string;
  /** One change of it: its canonical text, a JSON array whose first element is its id; hashed, one of changeSha256. */
  change?: string;
  /** The inclusion path of the seal's leaf, leaf side first, to the checkpoint's root. */
  inclusion: string;
  /** The signed checkpoint (C2SP signed note) whose tree the path is in. */
  checkpoint: string;
}

/** Every field a proof file may have; any other is refused. */
const PROOF_FIELDS = [
  'format',
  'seq',
  'sealFormat',
  'transaction',
  'actionsSha256',
  'changeSha256',
  'change',
  'inclusion',
  'checkpoint',
] as const satisfies readonly (keyof ProofFile)[];

/** What a proof says once checked: `ok`, or the first thing that does not hold. */
export type ProofCheck =
  | {
      ok: true;
      origin: string;
      treeSize: number;
      seq: number;
      transactionId: string;
      changeId: string | null;
      transaction: unknown[];
      change: unknown[] | null;
    }
  | { ok: false; problem: string };

const HASH = 32;
const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

/** Checks a proof file with the log's verifier key alone (no database). Never throws: a malformed file is a problem. */
export function verifyProof(proof: ProofFile, verifier: NoteVerifier): ProofCheck {
  try {
    return check(proof, verifier);
  } catch (error) {
    return { ok: false, problem: proofProblems.malformed(error) };
  }
}

/**
 * Checks a proof file's text. It is read as JSON in which no key appears twice (lossless-json refuses
 * that, escaped spellings too): with a duplicate, a reader that keeps the first would see one change and
 * JSON.parse, which keeps the last, would prove another.
 */
export function verifyProofText(text: string, verifier: NoteVerifier): ProofCheck {
  let proof: ProofFile;
  try {
    proof = parse(text, null, (value) => {
      // one spelling: 21, never 21.0 or 2.1e1
      if (!/^(0|-?[1-9][0-9]*)$/.test(value)) throw new Error(proofProblems.notAWholeNumber(value));
      return Number(value);
    }) as ProofFile;
  } catch (error) {
    return { ok: false, problem: proofProblems.malformed(error) };
  }
  return verifyProof(proof, verifier);
}

/** The 32-byte hashes of a base64 field, refusing anything else (not base64, a length not a multiple of 32). */
function hashes(proof: ProofFile, field: 'actionsSha256' | 'changeSha256' | 'inclusion'): Buffer[] {
  const text: unknown = proof[field];
  const bytes = typeof text === 'string' ? Buffer.from(text, 'base64') : undefined;
  // one spelling per proof: standard base64, padded, unused bits zero. Buffer.from skips what is not
  // base64, so the round trip refuses that too, in one linear pass (a regex over a 6 MB list need not)
  if (!bytes || bytes.toString('base64') !== text) throw new Error(proofProblems.notBase64(field));
  if (bytes.length % HASH !== 0) throw new Error(proofProblems.notHashes(field, bytes.length));
  return Array.from({ length: bytes.length / HASH }, (_, i) => bytes.subarray(i * HASH, (i + 1) * HASH));
}

/** A canonical row text: a JSON array whose first element is its id; numbers as stored (LosslessNumber). */
function row(text: unknown, field: 'transaction' | 'change'): unknown[] {
  // well-formed Unicode only: a lone surrogate encodes as U+FFFD, so it would hash as the stored text and show another
  if (typeof text === 'string' && Buffer.from(text, 'utf8').toString('utf8') !== text)
    throw new Error(proofProblems.notWellFormed(field));
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? parse(text) : undefined;
  } catch (error) {
    throw new Error(proofProblems.notARow(field, error));
  }
  if (!Array.isArray(parsed) || !(typeof parsed[0] === 'string' || isLosslessNumber(parsed[0])))
    throw new Error(proofProblems.notARow(field));
  return parsed;
}

function check(proof: ProofFile, verifier: NoteVerifier): ProofCheck {
  const fail = (problem: string): ProofCheck => ({ ok: false, problem });
  if (proof?.format !== PROOF_FORMAT) return fail(proofProblems.format(proof?.format));
  // nothing beside what is checked: a field the check does not read would read as proved
  const unknown = Object.keys(proof).filter((key) => !(PROOF_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0 || Object.getPrototypeOf(proof) !== Object.prototype)
    throw new Error(proofProblems.unknownFields(unknown));
  if (!Number.isSafeInteger(proof.seq) || proof.seq < 1) throw new Error(proofProblems.notASeq(proof.seq));
  if (proof.sealFormat !== 2 && proof.sealFormat !== 3) return fail(proofProblems.sealFormat(proof.sealFormat));
  if (typeof proof.checkpoint !== 'string') throw new Error(proofProblems.notANote());
  const checkpoint = readCheckpointNote(proof.checkpoint, verifier, "the proof's checkpoint");
  if ('problem' in checkpoint) return fail(checkpoint.problem);
  const actionsList = hashes(proof, 'actionsSha256');
  if (actionsList.length !== 1) throw new Error(proofProblems.notOneHash('actionsSha256', actionsList.length));
  const [actions] = actionsList;
  const changes = hashes(proof, 'changeSha256');
  const inclusion = hashes(proof, 'inclusion');
  const transaction = row(proof.transaction, 'transaction');
  const transactionId = String(transaction[0]);
  const content = sha256(
    sha256(Buffer.from(proof.transaction, 'utf8')),
    actions,
    // one update per change, not a spread: a transaction of 150,000 changes overflows the call stack
    changes.reduce((h, c) => h.update(c), createHash('sha256')).digest(),
  );
  let change: unknown[] | null = null;
  if (proof.change !== undefined) {
    change = row(proof.change, 'change');
    if (proof.sealFormat !== 2) return fail(proofProblems.changeFormat(proof.sealFormat));
    const hash = sha256(Buffer.from(proof.change, 'utf8'));
    if (!changes.some((c) => c.equals(hash))) return fail(proofProblems.change(String(change[0])));
  }
  const leaf = leafHash(
    Buffer.concat([
      Buffer.from(chainLinkText(proof.seq, transactionId, proof.sealFormat, changes.length), 'utf8'),
      content,
    ]),
  );
  if (!verifyInclusion(proof.seq - 1, checkpoint.size, leaf, inclusion, checkpoint.root))
    return fail(proofProblems.inclusion(proof.seq, checkpoint.size));
  return {
    ok: true,
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    seq: proof.seq,
    transactionId,
    changeId: change ? String(change[0]) : null,
    transaction,
    change,
  };
}

/** Base64 of 32-byte hashes end to end, as a proof holds a list of them. */
export function hashListText(list: Buffer[] | string[]): string {
  return Buffer.concat(list.map((h) => (typeof h === 'string' ? Buffer.from(h, 'base64') : h))).toString('base64');
}

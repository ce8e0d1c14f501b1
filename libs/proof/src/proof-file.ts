import { createHash } from 'node:crypto';
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
 * are base64; docs/trust.md shows the check in 30 lines of plain Node.
 */
export interface ProofFile {
  format: typeof PROOF_FORMAT;
  /** The seal: its number (leaf seq - 1 in the tree), the transaction, format, change count and content hash. */
  seal: { seq: number; transactionId: string; format: number; changeCount: number; contentSha256: string };
  /** What the content hash is taken of: the transaction row's canonical text, its actions' digest, each change's hash in id order. */
  transaction: { canonical: string; actionsSha256: string; changeSha256: string[] };
  /** One change of it, its canonical text (hashed, it is `changeSha256[index]`). */
  change?: { id: string; index: number; canonical: string };
  /** The inclusion path of leaf `seal.seq - 1` in the tree of `treeSize` leaves. */
  treeSize: number;
  inclusion: string[];
  /** The signed checkpoint (C2SP signed note) whose root the path leads to. */
  checkpoint: string;
}

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

const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const b64 = (text: string) => Buffer.from(text, 'base64');

/** Checks a proof file with the log's verifier key alone (no database). Never throws: a malformed file is a problem. */
export function verifyProof(proof: ProofFile, verifier: NoteVerifier): ProofCheck {
  try {
    return check(proof, verifier);
  } catch (error) {
    return { ok: false, problem: proofProblems.malformed(error) };
  }
}

function check(proof: ProofFile, verifier: NoteVerifier): ProofCheck {
  const fail = (problem: string): ProofCheck => ({ ok: false, problem });
  if (proof?.format !== PROOF_FORMAT) return fail(proofProblems.format(proof?.format));
  const checkpoint = readCheckpointNote(String(proof.checkpoint), verifier, "the proof's checkpoint");
  if ('problem' in checkpoint) return fail(checkpoint.problem);
  if (checkpoint.size !== proof.treeSize) return fail(proofProblems.size(proof.treeSize, checkpoint.size));
  const { seal, transaction, change } = proof;
  if (seal.format !== 2 && seal.format !== 3) return fail(proofProblems.sealFormat(seal.format));
  const changes = transaction.changeSha256.map(b64);
  if (changes.length !== seal.changeCount) return fail(proofProblems.changeCount(seal.changeCount, changes.length));
  const content = sha256(
    sha256(Buffer.from(transaction.canonical, 'utf8')),
    b64(transaction.actionsSha256),
    // one update per change, not a spread: a transaction of 150,000 changes overflows the call stack
    changes.reduce((h, c) => h.update(c), createHash('sha256')).digest(),
  );
  if (!content.equals(b64(seal.contentSha256))) return fail(proofProblems.content(seal.seq));
  const row = JSON.parse(transaction.canonical) as unknown[];
  if (row[0] !== seal.transactionId) return fail(proofProblems.transactionId(seal.transactionId, row[0]));
  let changeRow: unknown[] | null = null;
  if (change) {
    if (seal.format !== 2) return fail(proofProblems.changeFormat(seal.format));
    const hash = changes[change.index];
    if (!hash?.equals(sha256(Buffer.from(change.canonical, 'utf8')))) return fail(proofProblems.change(change.id));
    changeRow = JSON.parse(change.canonical) as unknown[];
    if (String(changeRow[0]) !== change.id) return fail(proofProblems.changeId(change.id, changeRow[0]));
  }
  const leaf = leafHash(
    Buffer.concat([
      Buffer.from(chainLinkText(seal.seq, seal.transactionId, seal.format, seal.changeCount), 'utf8'),
      content,
    ]),
  );
  if (!verifyInclusion(seal.seq - 1, proof.treeSize, leaf, proof.inclusion.map(b64), checkpoint.root))
    return fail(proofProblems.inclusion(seal.seq, proof.treeSize));
  return {
    ok: true,
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    seq: seal.seq,
    transactionId: seal.transactionId,
    changeId: change?.id ?? null,
    transaction: row,
    change: changeRow,
  };
}

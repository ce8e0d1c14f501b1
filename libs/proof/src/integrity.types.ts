import type { KeptCheckpoint } from './checkpoint-check';
import { InvalidKeptHeadError } from './proof.errors';

/** What is wrong with the sealed log, found by recomputing it. */
export interface IntegrityProblem {
  kind: 'altered' | 'deleted' | 'inserted';
  /** The seal's position in the chain, when the problem is at a seal. */
  seq?: number;
  transactionId?: string;
  changeId?: string;
  message: string;
}

export interface IntegrityReport {
  ok: boolean;
  /** Audit transactions sealed by this check before it verified (everything committed before it started). */
  sealedNow: number;
  /** Seals whose transaction and chain link were recomputed. */
  checked: number;
  /** Sealed transactions that retention removed, wholly or in part, as its ledger (or a pre-v5 checkpoint) says. */
  purged: number;
  /**
   * The latest checkpoint a purge before v5 wrote, or null (purges of v5 record what they removed in the
   * sealed purge ledger instead). Every seal is still checked.
   */
  checkpoint: { seq: number; chainSha256: string; reason: string; createdAt: string } | null;
  /** The chain's last seal: keep `chainSha256` outside the database to detect a rewrite of everything before it. */
  head: { seq: number; chainSha256: string; sealedAt: string } | null;
  from: string | null;
  to: string | null;
  /** The head kept from an earlier run that this check started after (`afterHead`), or null for a full check. */
  afterHead: { seq: number; chainSha256: string } | null;
  /** How many kept checkpoints the tree was checked against (0 when none were given). */
  checkpointsChecked: number;
  /** Baselines still being written: sealed once complete, so not checked yet (a baseline left open shows here). */
  openBaselines: { transactionId: string; table: string | null }[];
  /** The first problems found (at most 100), in chain order; `problemCount` counts all. */
  problems: IntegrityProblem[];
  problemCount: number;
  durationMs: number;
}

export interface VerifyIntegrityOptions {
  /** Only seals made at or after this instant (ISO 8601). */
  from?: string;
  /** Only seals made before this instant (ISO 8601). */
  to?: string;
  /**
   * Checks only the seals after this one, the head an earlier run reported and you kept outside the
   * database (`report.head`): the seal must still carry that chain hash, and every later link is
   * recomputed from the kept hash, so a rewrite at or before it is reported too. Not with `from`.
   */
  afterHead?: { seq: number; chainSha256: string };
  /** A head kept outside the database that the chain must still have, checked by a full walk (not with `afterHead`). */
  keptHead?: { seq: number; chainSha256: string };
  /**
   * Checkpoints kept outside the database, their signatures checked (readKeptCheckpoints): the tree
   * rebuilt from the seals must have each one's root at its size, and the database's stored tree must
   * agree and join them by consistency proofs. Needs the whole chain: not with `from`, `to` or `afterHead`.
   */
  checkpoints?: KeptCheckpoint[];
  /** Called after each batch of seals. */
  onProgress?: (checked: number) => void;
  /**
   * Whether this database is an archive that receives the log by logical replication (docs/scale.md, "Archive on a
   * second PostgreSQL"): then verification seals nothing (the seals are the source's, replicated), a change the
   * source purged and the archive kept counts as itself rather than by its ledger row, and txids are the source's.
   * Default: read from the catalog (audit_seals is a table of a subscription).
   */
  archive?: boolean;
}

/** Reads a head kept as `<seq>:<sha256 hex>` (what `verify-integrity` prints), or throws saying what is allowed. */
export function parseKeptHead(text: string): { seq: number; chainSha256: string } {
  const m = /^#?(\d{1,15})[: ]([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw InvalidKeptHeadError.create(text);
  return { seq: Number(m[1]), chainSha256: m[2].toLowerCase() };
}

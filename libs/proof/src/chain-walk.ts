import {
  chainLinkText,
  purgeContentSql,
  SEAL_FORMAT,
  SEAL_FORMAT_LARGE,
  sealContentForSql,
  verifyDigestSql,
} from '@threadline/capture';
import { AuditTables, isoUtc } from '@threadline/core';
import { createHash } from 'crypto';
import { IntegrityFindings, integrityProblems } from './integrity.problems';

/** One seal as the walk reads it, with its transaction's content recomputed in the same query. */
export interface SealRow {
  seq: string;
  kind: 'transaction' | 'purge';
  format: number;
  /** Null for a purge seal. */
  transaction_id: string | null;
  change_count: number;
  content_sha256: Buffer;
  chain_sha256: Buffer;
  sealed_at: string;
  present: boolean;
  recomputed: Buffer | null;
  changes_now: number;
  /** Changes of this seal's transaction a purge recorded as removed. */
  purged_changes: number;
  /** A purge recorded this seal's whole transaction as removed. */
  purged_whole: boolean;
}

/** SQL: up to `batch` seals after $1 (made before $2 when given), in chain order, each with its recomputed content. */
export function sealRowsSql(
  tables: AuditTables,
  seals: string,
  ledger: string,
  batch: number,
  archive = false,
): string {
  return `SELECT s.seq::text AS seq, s.kind, s.format, s.transaction_id, s.change_count, s.content_sha256, s.chain_sha256,
                  ${isoUtc('s.sealed_at')} AS sealed_at, t.id IS NOT NULL AS present,
                  CASE WHEN s.kind = 'purge' THEN ${purgeContentSql(tables.schema, 's.seq')}
                       WHEN t.id IS NOT NULL THEN ${sealContentForSql(tables.schema, 's', 't', 'd')} END AS recomputed,
                  d.changes AS changes_now, d.purged_changes,
                  EXISTS (SELECT 1 FROM ${ledger} AS p WHERE p.seal_seq = s.seq AND p.change_id IS NULL) AS purged_whole
           FROM ${seals} AS s LEFT JOIN ${tables.transactions} AS t ON t.id = s.transaction_id
             CROSS JOIN LATERAL ${verifyDigestSql(tables.schema, 's.transaction_id', 's.seq', 's.format', archive)} AS d
           WHERE s.seq > $1 AND ($2::timestamptz IS NULL OR s.sealed_at < $2::timestamptz)
           ORDER BY s.seq LIMIT ${batch}`;
}

/**
 * The walk along the chain, one seal at a time in order: each link recomputed from the one before, each
 * sealed transaction's content compared with what is stored now. What a purge removed is excused only as
 * its ledger (audit_purged, itself sealed) recorded it; a checkpoint of a v4 purge (`purgedThrough`)
 * excuses only what such a purge can have done to seals made before v5, at or before it.
 */
export class ChainWalk {
  /** The last seal visited (the walk goes on after it). */
  after: number;
  /** The seq the next seal must have. */
  expected: number;
  checked = 0;
  purged = 0;
  private previous: Buffer;

  constructor(
    private readonly findings: IntegrityFindings,
    private readonly checkpoint: { seq: number; chainSha256: string } | null,
    private readonly ledger: string,
    start: { after: number; previous: Buffer },
    private readonly archive = false,
  ) {
    this.after = start.after;
    this.expected = start.after + 1;
    this.previous = start.previous;
  }

  visit(row: SealRow): void {
    const seq = Number(row.seq);
    this.checkLink(seq, row);
    this.checkContent(seq, row);
    this.previous = row.chain_sha256;
    this.expected = Math.max(this.expected, seq + 1);
    this.after = seq;
    this.checked++;
  }

  /** After the last seal: a checkpoint past the chain's end means seals went missing (unless the walk stopped at `to`). */
  finish(stoppedEarly: boolean): void {
    const purgedThrough = this.checkpoint?.seq ?? 0;
    if (this.checkpoint && purgedThrough >= this.expected && !stoppedEarly)
      this.findings.report(integrityProblems.checkpointPastEnd(purgedThrough, this.expected - 1));
  }

  private checkLink(seq: number, row: SealRow): void {
    const transactionId = row.transaction_id ?? undefined;
    if (seq < this.expected) this.findings.report(integrityProblems.sealRepeated(seq));
    else if (seq !== this.expected) this.findings.report(integrityProblems.sealsDeleted(this.expected, seq));
    else {
      const link = createHash('sha256')
        .update(this.previous)
        .update(chainLinkText(seq, row.transaction_id, row.format, row.change_count))
        .update(row.content_sha256)
        .digest();
      if (!link.equals(row.chain_sha256))
        this.findings.report(integrityProblems.linkAltered(seq, this.what(row), transactionId));
    }
    if (
      seq === (this.checkpoint?.seq ?? 0) &&
      this.checkpoint &&
      this.checkpoint.chainSha256 !== row.chain_sha256.toString('hex')
    )
      this.findings.report(integrityProblems.checkpointMismatch(seq));
    if (![1, SEAL_FORMAT, SEAL_FORMAT_LARGE].includes(row.format))
      this.findings.report(integrityProblems.unknownFormat(seq, row.format, transactionId));
  }

  private checkContent(seq: number, row: SealRow): void {
    // a v4 purge's checkpoint excuses only seals made before v5, at or before it
    const legacy = row.format === 1 && seq <= (this.checkpoint?.seq ?? 0);
    if (row.kind === 'purge') {
      if (!row.recomputed?.equals(row.content_sha256))
        this.findings.report(integrityProblems.purgeRecordAltered(seq, this.ledger));
    } else if (!row.present) {
      // an archive keeps what its source purged: there the ledger excuses no missing transaction
      if ((row.purged_whole && !this.archive) || legacy) this.purged++;
      else this.findings.report(integrityProblems.transactionDeleted(seq, row.transaction_id!));
    } else if (!row.recomputed?.equals(row.content_sha256)) {
      const delta = row.changes_now + row.purged_changes - row.change_count;
      const counts = `${row.change_count} sealed, ${row.changes_now} now${row.purged_changes ? `, ${row.purged_changes} purged` : ''}`;
      // a seal made before v5 hashed its changes as one text: what a purge removed cannot be put back
      if (row.format === 1 && (legacy || row.purged_changes > 0) && row.changes_now < row.change_count) this.purged++;
      else this.findings.report(integrityProblems.contentDiffers(seq, row.transaction_id!, delta, counts));
    } else if (row.purged_changes > 0) this.purged++;
  }

  private what(row: SealRow): string {
    return row.kind === 'purge' ? 'purge record' : `transaction ${row.transaction_id}`;
  }
}

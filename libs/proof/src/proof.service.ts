import { Injectable, Optional } from '@nestjs/common';
import {
  actionsDigestSql,
  changeHashSql,
  changeTextSql,
  largeChangeHashSql,
  PURGED_TABLE,
  SEAL_FORMAT_LARGE,
  SEALS_TABLE,
  transactionTextSql,
} from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { DataSource } from 'typeorm';
import { CheckpointService } from './checkpoint.service';
import { newestKept, ReadCheckpoint, readCheckpointNote } from './checkpoint-store';
import { IntegrityService } from './integrity.service';
import { hashListText, PROOF_FORMAT, ProofFile, verifyProof } from './proof-file';
import { ProofUnavailableError } from './proof.errors';
import { SealTree } from './seal-tree';

/** What to prove: a transaction, or one change (and so its transaction). */
export type ProofTarget =
  { transactionId: string; changeId?: undefined } | { changeId: string; transactionId?: undefined };

/**
 * Offline proofs (docs/trust.md "Proofs"): for one sealed transaction or change, a small JSON file with
 * its canonical content, its leaf's inclusion path and the signed checkpoint it leads to, which anyone
 * with the log's public key can check without the database (verify-proof, or about 40 lines of plain Node).
 */
@Injectable()
export class ProofService {
  private readonly seals: string;
  private readonly purged: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly integrity: IntegrityService,
    private readonly checkpoints: CheckpointService,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.seals = tables.named(SEALS_TABLE);
    this.purged = tables.named(PURGED_TABLE);
  }

  /**
   * The proof of `target` against the latest kept checkpoint that covers it (in `checkpointDir`, default
   * the configured directory), or a checkpoint emitted now when none does.
   */
  async prove(target: ProofTarget, checkpointDir?: string): Promise<ProofFile> {
    await this.integrity.seal();
    const transactionId =
      target.changeId !== undefined ? await this.changeTransaction(target.changeId) : target.transactionId;
    const [seal] = await this.dataSource.query(
      `SELECT s.seq::text AS seq, s.format FROM ${this.seals} AS s WHERE s.transaction_id = $1`,
      [transactionId],
    );
    if (!seal) throw ProofUnavailableError.notSealed(transactionId);
    const seq = Number(seal.seq);
    if (seal.format === 1) throw ProofUnavailableError.legacy(transactionId, seq);
    const [row] = await this.dataSource.query(
      `SELECT ${transactionTextSql('t')} AS canonical, encode(${actionsDigestSql(this.tables.schema, 't')}, 'base64') AS actions
       FROM ${this.tables.transactions} AS t WHERE t.id = $1`,
      [transactionId],
    );
    if (!row) throw ProofUnavailableError.purged(transactionId, seq);
    const hash = seal.format === SEAL_FORMAT_LARGE ? largeChangeHashSql(this.tables.schema, 'c') : changeHashSql('c');
    const changes: { id: string; h: string; canonical: string | null }[] = await this.dataSource.query(
      `SELECT u.id::text AS id, encode(u.h, 'base64') AS h, u.canonical FROM (
         SELECT c.id, ${hash} AS h, CASE WHEN c.id::text = $3 THEN ${changeTextSql('c')} END AS canonical
         FROM ${this.tables.changes} AS c WHERE c.transaction_id = $1
         UNION ALL
         SELECT p.change_id, p.change_sha256, NULL FROM ${this.purged} AS p WHERE p.seal_seq = $2 AND p.change_id IS NOT NULL) AS u
       ORDER BY u.id`,
      [transactionId, seq, target.changeId ?? null],
    );
    const index = target.changeId === undefined ? -1 : changes.findIndex((c) => c.id === target.changeId);
    if (target.changeId !== undefined && seal.format === SEAL_FORMAT_LARGE)
      throw ProofUnavailableError.largeChange(target.changeId);
    const checkpoint = await this.checkpointCovering(seq, checkpointDir);
    const tree = new SealTree(this.dataSource, this.tables);
    const proof: ProofFile = {
      format: PROOF_FORMAT,
      seq,
      sealFormat: seal.format,
      transaction: row.canonical,
      actionsSha256: row.actions,
      changeSha256: hashListText(changes.map((c) => c.h)),
      ...(index >= 0 ? { change: changes[index].canonical! } : {}),
      inclusion: hashListText(await tree.inclusion(seq - 1, checkpoint.size)),
      checkpoint: checkpoint.note,
    };
    const checked = verifyProof(proof, await this.checkpoints.verifier());
    if (!checked.ok) throw ProofUnavailableError.doesNotHold(transactionId, checked.problem);
    return proof;
  }

  private async changeTransaction(changeId: string): Promise<string> {
    if (!/^[1-9][0-9]{0,18}$/.test(changeId)) throw ProofUnavailableError.badChangeId(changeId);
    const [change] = await this.dataSource.query(
      `SELECT c.transaction_id FROM ${this.tables.changes} AS c WHERE c.id = $1::bigint`,
      [changeId],
    );
    if (change) return change.transaction_id;
    const [purged] = await this.dataSource.query(
      `SELECT p.purge_seq::text AS purge FROM ${this.purged} AS p WHERE p.change_id = $1::bigint`,
      [changeId],
    );
    throw purged
      ? ProofUnavailableError.changePurged(changeId, Number(purged.purge))
      : ProofUnavailableError.noSuchChange(changeId);
  }

  /** The newest kept checkpoint when it covers seal `seq`, or a new one. */
  private async checkpointCovering(seq: number, directory: string | undefined): Promise<ReadCheckpoint> {
    const verifier = await this.checkpoints.verifier();
    const dir = directory ?? this.checkpoints.directory();
    if (dir) {
      // the newest kept checkpoint covers the seal when any does (the key signs only extensions)
      const { latest } = await newestKept(dir, verifier).catch(() => ({ latest: null }));
      if (latest && latest.size >= seq) return latest;
    }
    const { checkpoint, path } = await this.checkpoints.emit();
    const read = readCheckpointNote(checkpoint.note, verifier, path ?? 'the new checkpoint');
    if ('problem' in read) throw ProofUnavailableError.doesNotHold(String(seq), read.problem);
    return read;
  }
}

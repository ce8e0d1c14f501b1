import { Injectable, Optional } from '@nestjs/common';
import { CHECKPOINTS_TABLE, sealCommitted, sealHeadSql, SEALS_TABLE } from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { createHash, Hash } from 'crypto';
import { createReadStream } from 'fs';
import { DataSource } from 'typeorm';
import { ExportFormat } from './export-formats';

/** The last seal of the hash chain when an export was cut: the export's changes up to then are sealed. */
export interface SealHead {
  seq: number;
  chain_sha256: string;
}

/**
 * What an auditor needs to check an export file on its own (`verify-export`,
 * or `sha256sum` and the chain): written next to the file by
 * `export --out FILE` (as FILE.manifest.json) or to `--manifest PATH`.
 */
export interface ExportManifest {
  manifest_version: 1;
  format: ExportFormat;
  /** The filters it was cut with, by query parameter / CLI flag name, each normalized (describeFilters). */
  filters: Record<string, string>;
  row_count: number;
  truncated: boolean;
  /** Size and SHA-256 of the file's bytes. */
  bytes: number;
  sha256: string;
  /** The hash chain's head when the export started (null when nothing was sealed yet). */
  sealed_through: SealHead | null;
  /**
   * With signed checkpoints on: a checkpoint of the tree at `sealed_through.seq` seals that also names
   * this file's SHA-256 (its `export-sha256` line), signed with the log's key; `verify-export
   * --public-key FILE` checks it offline. Absent when checkpoints are off.
   */
  signed_checkpoint?: string;
  created_at: string;
}

/** Hashes an export as it is written. */
export class BodyDigest {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  update(chunk: string): void {
    const buffer = Buffer.from(chunk, 'utf8');
    this.bytes += buffer.length;
    this.hash.update(buffer);
  }

  hex(): string {
    return this.hash.digest('hex');
  }

  /** The size and SHA-256 of a file, streamed. */
  static async ofFile(path: string): Promise<{ bytes: number; sha256: string }> {
    const digest = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(path)) {
      bytes += (chunk as Buffer).length;
      digest.update(chunk as Buffer);
    }
    return { bytes, sha256: digest.digest('hex') };
  }
}

/** Where an export stands against the hash chain. */
@Injectable()
export class ExportSeals {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {}

  /** Seals what has committed and returns the chain's head: the point an export is cut at. */
  async head(): Promise<SealHead | null> {
    await sealCommitted(this.dataSource, this.tables);
    const [row] = await this.dataSource.query(sealHeadSql(this.tables.schema));
    return row ? { seq: Number(row.seq), chain_sha256: row.chain } : null;
  }

  /**
   * Whether the chain still passes through `head`: 'intact' when seal
   * `head.seq` still has that hash, 'purged' when retention has removed it
   * (a checkpoint at or after it), 'differs' otherwise.
   */
  async check(head: SealHead): Promise<'intact' | 'purged' | 'differs'> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT encode(chain_sha256, 'hex') FROM ${this.tables.named(SEALS_TABLE)} WHERE seq = $1) AS chain,
              (SELECT encode(chain_sha256, 'hex') FROM ${this.tables.named(CHECKPOINTS_TABLE)} WHERE seq = $1) AS checkpoint,
              EXISTS (SELECT 1 FROM ${this.tables.named(CHECKPOINTS_TABLE)} WHERE seq >= $1) AS past_checkpoint`,
      [head.seq],
    );
    const found = row.chain ?? row.checkpoint;
    if (found) return found === head.chain_sha256 ? 'intact' : 'differs';
    return row.past_checkpoint ? 'purged' : 'differs';
  }
}

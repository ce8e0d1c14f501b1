import { SEAL_TREE_TABLE, sealLeafData, SEALS_TABLE, TREE_STORED_LEVEL } from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  nodesRead,
  rootHash,
  TreeNodeId,
  TreeNodeReader,
} from './merkle';
import { TreeNodeMissingError } from './proof.errors';

/** Runs a query (a TypeORM DataSource or QueryRunner, a pg client wrapper). */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed where they are read
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

/** A seal's fields that make its leaf. */
export interface SealLeafRow {
  seq: string | number;
  transaction_id: string | null;
  format: number;
  change_count: number;
  content_sha256: Buffer;
}

/** A seal's leaf hash (RFC 6962), from the seal as stored. */
export function sealLeafHash(row: SealLeafRow): Buffer {
  return leafHash(sealLeafData(Number(row.seq), row.transaction_id, row.format, row.change_count, row.content_sha256));
}

/**
 * The Merkle tree over the seals as the database holds it (audit_seal_tree, from 16 seals up; the seals
 * below that): roots and proofs for any size up to the number of seals, each from the O(log n) nodes it
 * reads, fetched in two queries. What it returns is what the database says: checkpoints and proofs are
 * checked against signed roots, never trusted for being here.
 */
export class SealTree {
  private readonly seals: string;
  private readonly tree: string;

  constructor(
    private readonly db: Queryable,
    tables: AuditTables,
  ) {
    this.seals = tables.named(SEALS_TABLE);
    this.tree = tables.named(SEAL_TREE_TABLE);
  }

  /** How many seals the tree has (the highest seal number). */
  async size(): Promise<number> {
    const [row] = await this.db.query(`SELECT coalesce(max(s.seq), 0)::text AS n FROM ${this.seals} AS s`);
    return Number(row.n);
  }

  root(size: number): Promise<Buffer> {
    return this.compute((node) => rootHash(size, node));
  }

  inclusion(index: number, size: number): Promise<Buffer[]> {
    return this.compute((node) => inclusionProof(index, size, node));
  }

  consistency(m: number, n: number): Promise<Buffer[]> {
    return this.compute((node) => consistencyProof(m, n, node));
  }

  /** Runs `compute` against the nodes it reads, fetched first. */
  async compute<T>(compute: (node: TreeNodeReader) => T): Promise<T> {
    const ids = nodesRead(compute);
    const stored = ids.filter((id) => id.level >= TREE_STORED_LEVEL);
    const below = ids.filter((id) => id.level < TREE_STORED_LEVEL);
    const nodes = await this.storedNodes(stored);
    if (below.length) await this.fromSeals(below, nodes);
    return compute((level, index) => {
      const hash = nodes.get(`${level}:${index}`);
      if (!hash) throw TreeNodeMissingError.create(level, index, this.tree);
      return hash;
    });
  }

  /** The stored hashes of `ids` (level 4 and up), keyed `<level>:<index>`; absent ones are left out. */
  async storedNodes(ids: TreeNodeId[]): Promise<Map<string, Buffer>> {
    const nodes = new Map<string, Buffer>();
    if (ids.length === 0) return nodes;
    const rows: { level: number; idx: string; hash: Buffer }[] = await this.db.query(
      `SELECT n.level, n.idx::text AS idx, n.hash FROM ${this.tree} AS n
       JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [ids.map((id) => id.level), ids.map((id) => String(id.index))],
    );
    for (const row of rows) nodes.set(`${row.level}:${row.idx}`, row.hash);
    return nodes;
  }

  /** The subtrees below the stored level, from their seals. */
  private async fromSeals(ids: TreeNodeId[], nodes: Map<string, Buffer>): Promise<void> {
    const seqs = new Set<number>();
    for (const id of ids)
      for (let i = id.index * 2 ** id.level; i < (id.index + 1) * 2 ** id.level; i++) seqs.add(i + 1);
    const rows: SealLeafRow[] = await this.db.query(
      `SELECT s.seq::text AS seq, s.transaction_id, s.format, s.change_count, s.content_sha256
       FROM ${this.seals} AS s WHERE s.seq = ANY ($1::bigint[])`,
      [[...seqs].map(String)],
    );
    const leaves = new Map(rows.map((row) => [Number(row.seq) - 1, sealLeafHash(row)]));
    const subtree = (level: number, index: number): Buffer | undefined => {
      if (level === 0) return leaves.get(index);
      const left = subtree(level - 1, 2 * index);
      const right = subtree(level - 1, 2 * index + 1);
      return left && right ? nodeHash(left, right) : undefined;
    };
    for (const id of ids) {
      const hash = subtree(id.level, id.index);
      if (hash) nodes.set(`${id.level}:${id.index}`, hash);
    }
  }
}

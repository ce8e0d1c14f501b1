import { IntegrityFindings, integrityProblems } from './integrity.problems';
import { TreeBuilder, verifyConsistency } from './merkle';
import { SealLeafRow, sealLeafHash, SealTree } from './seal-tree';
import { TREE_STORED_LEVEL } from '@threadline/capture';

/** A checkpoint kept outside the database, its signature already checked: the tree's size and root. */
export interface KeptCheckpoint {
  size: number;
  root: Buffer;
  /** Where it was read from (a file name), to name it in problems. */
  source: string;
}

/**
 * Verification against kept checkpoints, beside the chain walk: the tree is rebuilt leaf by leaf from the
 * seals as stored (each one's content is recomputed by the walk), and at each kept size its root must
 * be the signed one. A role that rewrites a sealed row and every seal and tree node after it cannot sign
 * a checkpoint, so the rebuilt root differs from the kept one. Then, from the database's own tree, each
 * kept checkpoint must be its root at that size, and each one consistent with the next.
 */
export class CheckpointCheck {
  private readonly tree = new TreeBuilder();
  private readonly pending: KeptCheckpoint[];
  private broken = false;
  /** Complete subtrees rebuilt since the last flush, to compare with the stored ones. */
  private recomputed: { level: number; index: number; hash: Buffer }[] = [];
  private storedDiffers = false;

  constructor(
    private readonly findings: IntegrityFindings,
    private readonly checkpoints: KeptCheckpoint[],
  ) {
    this.pending = [...checkpoints].sort((a, b) => a.size - b.size);
  }

  /** Seals must come in order from #1 (a gap is the walk's to report; the tree then differs from every later root). */
  visit(row: SealLeafRow): void {
    // a repeated or missing seal number is the walk's to report; the tree stops where the chain breaks
    if (Number(row.seq) !== this.tree.size + 1 || this.broken) {
      this.broken ||= Number(row.seq) > this.tree.size + 1;
      return;
    }
    this.tree.append(sealLeafHash(row), (level, index, hash) => {
      if (level >= TREE_STORED_LEVEL) this.recomputed.push({ level, index, hash });
    });
    while (this.pending.length && this.pending[0].size === this.tree.size) this.compare(this.pending.shift()!);
  }

  /** Compares the subtrees rebuilt so far with the database's (after each batch of seals). */
  async flush(stored: SealTree): Promise<void> {
    const batch = this.recomputed.splice(0);
    if (this.storedDiffers || batch.length === 0) return;
    const hashes = await stored.storedNodes(batch);
    const first = batch.find((n) => !hashes.get(`${n.level}:${n.index}`)?.equals(n.hash));
    if (first) {
      this.storedDiffers = true;
      this.findings.report(integrityProblems.storedNodeDiffers(first.level, first.index));
    }
  }

  /** After the walk: checkpoints past the chain's end, then the database's tree against each kept root. */
  async finish(stored: SealTree): Promise<void> {
    await this.flush(stored);
    for (const kept of this.pending.splice(0)) {
      if (kept.size === 0) this.compare(kept);
      else this.findings.report(integrityProblems.checkpointPastChain(kept.size, kept.source, this.tree.size));
    }
    const covered = [...this.checkpoints]
      .filter((c) => c.size > 0 && c.size <= this.tree.size)
      .sort((a, b) => a.size - b.size);
    for (const kept of covered) {
      const root = await stored.root(kept.size).catch(() => null);
      if (!root?.equals(kept.root)) this.findings.report(integrityProblems.storedTreeDiffers(kept.size, kept.source));
    }
    for (let i = 1; i < covered.length; i++) {
      const [a, b] = [covered[i - 1], covered[i]];
      if (a.size === b.size) continue;
      const proof = await stored.consistency(a.size, b.size).catch(() => null);
      if (!proof || !verifyConsistency(a.size, b.size, a.root, b.root, proof))
        this.findings.report(integrityProblems.checkpointsInconsistent(a.size, b.size));
    }
  }

  private compare(kept: KeptCheckpoint): void {
    if (!this.tree.root().equals(kept.root))
      this.findings.report(integrityProblems.checkpointRootDiffers(kept.size, kept.source));
  }
}

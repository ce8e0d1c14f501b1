import { createHash } from 'node:crypto';
import { TreeRangeError } from './proof.errors';

// The Merkle tree over the seals (RFC 6962 section 2.1, RFC 9162 section 2.1): leaf i is seal i + 1.
// A leaf's hash is SHA-256(0x00 || leaf data), an inner node's SHA-256(0x01 || left || right), and the
// tree of n leaves splits at k, the largest power of two below n. The database stores the hash of every
// complete, aligned subtree of 16 leaves and up (level l, index i covers leaves i * 2^l to
// (i + 1) * 2^l - 1; the levels below come from the seals): any root, inclusion proof or consistency
// proof is then O(log n) of them. Numbers are counted with arithmetic,
// not bit operators, so trees past 2^31 leaves work.

/** A stored subtree: `level` 0 is a leaf. */
export interface TreeNodeId {
  level: number;
  index: number;
}
/** Reads a stored subtree's hash. */
export type TreeNodeReader = (level: number, index: number) => Buffer;

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** RFC 6962 leaf hash. */
export function leafHash(data: Buffer): Buffer {
  return sha256(LEAF, data);
}

/** RFC 6962 inner node hash. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(NODE, left, right);
}

/** The root of the empty tree: SHA-256 of no bytes. */
export function emptyRoot(): Buffer {
  return sha256();
}

/** The largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n >= 1 && split(n + 1) === n;
const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/** The hash of leaves lo..hi-1, from the stored complete subtrees (lo is aligned as RFC 6962's recursion keeps it). */
export function rangeHash(lo: number, hi: number, node: TreeNodeReader): Buffer {
  const n = hi - lo;
  if (isPowerOfTwo(n) && lo % n === 0) return node(Math.log2(n), lo / n);
  const k = split(n);
  return nodeHash(rangeHash(lo, lo + k, node), rangeHash(lo + k, hi, node));
}

/** The root of the tree of the first `size` leaves. */
export function rootHash(size: number, node: TreeNodeReader): Buffer {
  return size === 0 ? emptyRoot() : rangeHash(0, size, node);
}

/** RFC 6962 PATH(index, D[0:size]): the inclusion proof of leaf `index`, leaf side first. */
export function inclusionProof(index: number, size: number, node: TreeNodeReader): Buffer[] {
  if (!(index >= 0 && index < size)) throw TreeRangeError.leafOutside(index, size);
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    if (hi - lo === 1) return [];
    const k = split(hi - lo);
    return m < lo + k
      ? [...path(m, lo, lo + k), rangeHash(lo + k, hi, node)]
      : [...path(m, lo + k, hi), rangeHash(lo, lo + k, node)];
  };
  return path(index, 0, size);
}

/** RFC 6962 PROOF(m, D[0:n]): the consistency proof from the tree of `m` leaves to the tree of `n`. */
export function consistencyProof(m: number, n: number, node: TreeNodeReader): Buffer[] {
  if (!(m >= 0 && m <= n)) throw TreeRangeError.notPrefix(m, n);
  if (m === 0 || m === n) return [];
  const sub = (m1: number, lo: number, hi: number, complete: boolean): Buffer[] => {
    if (lo + m1 === hi) return complete ? [] : [rangeHash(lo, hi, node)];
    const k = split(hi - lo);
    return m1 <= k
      ? [...sub(m1, lo, lo + k, complete), rangeHash(lo + k, hi, node)]
      : [...sub(m1 - k, lo + k, hi, false), rangeHash(lo, lo + k, node)];
  };
  return sub(m, 0, n, true);
}

/**
 * Which stored subtrees `compute` reads: it is run once against a reader that records and answers
 * zeros, so a proof's nodes are fetched in one query and the proof is then computed from them.
 */
export function nodesRead(compute: (node: TreeNodeReader) => unknown): TreeNodeId[] {
  const seen = new Map<string, TreeNodeId>();
  compute((level, index) => {
    seen.set(`${level}:${index}`, { level, index });
    return Buffer.alloc(32);
  });
  return [...seen.values()];
}

/** RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` in the tree of `size` leaves whose root is `root`? */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else r = nodeHash(r, p);
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 section 2.1.4.2: is the tree of `m` leaves with root `rootM` a prefix of the tree of `n` with root `rootN`? */
export function verifyConsistency(m: number, n: number, rootM: Buffer, rootN: Buffer, proof: Buffer[]): boolean {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m <= n)) return false;
  if (m === n) return proof.length === 0 && rootM.equals(rootN);
  if (m === 0) return proof.length === 0 && rootM.equals(emptyRoot());
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else sr = nodeHash(sr, c);
    fn = half(fn);
    sn = half(sn);
  }
  return fr.equals(rootM) && sr.equals(rootN) && sn === 0;
}

/**
 * A tree built one leaf at a time in O(log n) memory (the hashes of its complete subtrees, largest
 * first): what verification recomputes from the seals, to compare its root at each kept checkpoint.
 */
export class TreeBuilder {
  size = 0;
  private readonly peaks: Buffer[] = [];

  /** Adds a leaf; `onNode` hears of each complete subtree it closes (level >= 1, its index on that level). */
  append(leaf: Buffer, onNode?: (level: number, index: number, hash: Buffer) => void): void {
    let hash = leaf;
    let n = this.size;
    let level = 0;
    while (odd(n)) {
      hash = nodeHash(this.peaks.pop()!, hash);
      n = half(n);
      level++;
      onNode?.(level, n, hash);
    }
    this.peaks.push(hash);
    this.size++;
  }

  root(): Buffer {
    if (this.size === 0) return emptyRoot();
    let r = this.peaks[this.peaks.length - 1];
    for (let i = this.peaks.length - 2; i >= 0; i--) r = nodeHash(this.peaks[i], r);
    return r;
  }
}

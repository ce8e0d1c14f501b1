import { Writable } from 'node:stream';
import { verifyConsistency } from './merkle';
import { CheckpointConflictError, CheckpointSinkError } from './proof.errors';
import { CheckpointSink, SignedCheckpoint } from './proof.options';
import { SealTree } from './seal-tree';

/** A checkpoint signed or kept before: what the next signature must agree with. */
export interface Signed {
  size: number;
  root: Buffer;
  source: string;
}

/**
 * The one rule the checkpoint key follows: it signs a tree only when the tree agrees with the last one it
 * signed or kept. The same size must have the same root; a larger tree must extend it and a smaller one
 * (an export cut earlier) must be its prefix, each by an RFC 9162 consistency proof from the database.
 * A log rewritten and re-chained since is never signed, so the key cannot be made to vouch for it.
 */
export async function requireAgrees(
  tree: SealTree,
  size: number,
  root: Buffer,
  previous: Signed | null,
): Promise<void> {
  if (!previous) return;
  if (previous.size === size) {
    if (!previous.root.equals(root)) throw CheckpointConflictError.notExtending(previous.source, previous.size, size);
    return;
  }
  const [m, n, rootM, rootN] =
    previous.size < size ? [previous.size, size, previous.root, root] : [size, previous.size, root, previous.root];
  const proof = await tree.consistency(m, n).catch(() => null);
  if (!proof || !verifyConsistency(m, n, rootM, rootN, proof))
    throw CheckpointConflictError.notExtending(previous.source, previous.size, size);
}

/** Runs signings one at a time in this process, so two cannot both pass the rule against the same previous one. */
export class SigningQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Hands a checkpoint to a sink: a function, or a stream (each note written whole; its failure or silence rejects). */
export async function deliver(sink: CheckpointSink, checkpoint: SignedCheckpoint, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // a sink that never answers would hold every later checkpoint: it fails after the timeout instead
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(CheckpointSinkError.timeout(timeoutMs)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([handOver(sink, checkpoint), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function handOver(sink: CheckpointSink, checkpoint: SignedCheckpoint): Promise<void> {
  if (typeof sink === 'function') {
    await sink(checkpoint);
    return;
  }
  const stream = sink as Writable;
  let onError: (error: Error) => void = () => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onError = reject;
      stream.once('error', onError);
      stream.write(checkpoint.note, (error) => (error ? reject(error) : resolve()));
    });
  } finally {
    stream.off('error', onError);
  }
}

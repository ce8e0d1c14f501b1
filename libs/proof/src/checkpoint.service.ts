import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditTables, schedulerRegistryOf } from '@threadline/core';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { EXPORT_LINE, keepInDirectory, latestKeptCheckpoint, newestKept, ReadCheckpoint } from './checkpoint-store';
import { IntegrityService } from './integrity.service';
import { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
import { CheckpointConflictError, CheckpointsOffError } from './proof.errors';
import { verifyConsistency } from './merkle';
import { checkpointFailed } from './proof.messages';
import { CheckpointPolicy, CheckpointSink, IntegrityPolicy, SignedCheckpoint } from './proof.options';
import { SealTree } from './seal-tree';
import { checkpointText, NoteVerifier, rawPublicKey, signNote, verifierKey } from './signed-note';

export const CHECKPOINT_JOB_NAME = 'threadline.integrity.checkpoint';

/**
 * The newest checkpoint the configured directory keeps, its signature checked with this log's key, and
 * the newer files that are not the log's: what the Integrity page checks against (the key signs only
 * extensions of what it signed, so the newest stands for the older ones).
 */
export interface KeptCheckpointsView {
  checkpoints: ReadCheckpoint[];
  /** The newest (largest) one, with the time its note says it was signed. */
  latest: { size: number; time: string | null; file: string } | null;
  /** Files not signed by this log's key, or not checkpoints. */
  problems: string[];
}

/** The checkpointer's state, for health and the Integrity page. */
export interface CheckpointStatus {
  enabled: boolean;
  /** The last checkpoint every sink took, or null. */
  last: { size: number; time: string; path: string | null } | null;
  /** The last failure, while it lasts (cleared by the next checkpoint every sink takes). */
  failing: { message: string; since: string } | null;
}

/**
 * Signed checkpoints of the tree over the seals (docs/trust.md "Checkpoints"), kept outside the
 * database: signed with the Ed25519 key of `health.integrity.checkpoints` (never stored in the
 * database), written to its directory and handed to its sink. Emitted when the tree grew, at most every
 * `everySeconds` or as soon as `everyTransactions` seals were added; a sink that fails is retried at the
 * next tick and reported by health, and never blocks a write (sealing and checkpoints are after commit).
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ThreadlineCheckpoints');
  private readonly policy: CheckpointPolicy | null;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private origin?: string;
  private state: CheckpointStatus;
  /** The last checkpoint this process signed: the next one must extend it. */
  private signed?: { size: number; root: Buffer; source: string };

  constructor(
    private readonly dataSource: DataSource,
    private readonly integrity: IntegrityService,
    private readonly moduleRef: ModuleRef,
    @Inject(THREADLINE_INTEGRITY_POLICY) policy: IntegrityPolicy | null,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.policy = policy?.checkpoints ?? null;
    this.state = { enabled: !!this.policy, last: null, failing: null };
  }

  status(): CheckpointStatus {
    return { ...this.state };
  }

  /** The verifier key text (`<origin>+<key id>+<key>`) that checks this log's checkpoints. */
  async publicKey(): Promise<string> {
    const policy = this.required();
    return verifierKey(await this.logName(), rawPublicKey(policy.privateKey));
  }

  /** Every checkpoint kept in the configured directory, each signature checked; null when none is configured. */
  async kept(): Promise<KeptCheckpointsView | null> {
    const directory = this.policy?.directory;
    if (!directory) return null;
    const { latest, problems } = await newestKept(directory, await this.verifier()).catch((error: unknown) => ({
      latest: null,
      problems: [error instanceof Error ? error.message : String(error)],
    }));
    const time = latest ? (/\ntime (\S+)\n/.exec(latest.note)?.[1] ?? null) : null;
    return {
      checkpoints: latest ? [latest] : [],
      problems,
      latest: latest && { size: latest.size, time, file: latest.source },
    };
  }

  /** The configured checkpoint directory, or null. */
  directory(): string | null {
    return this.policy?.directory ?? null;
  }

  /** The verifier of this log's checkpoints. */
  async verifier(): Promise<NoteVerifier> {
    return { name: await this.logName(), publicKey: rawPublicKey(this.required().privateKey) };
  }

  /** Seals what committed, signs a checkpoint of the tree, and keeps it in every sink; returns it and its file. */
  async emit(): Promise<{ checkpoint: SignedCheckpoint; path: string | null }> {
    const policy = this.required();
    try {
      await this.integrity.seal();
      const tree = new SealTree(this.dataSource, this.tables);
      const size = await tree.size();
      const root = await tree.root(size);
      const origin = await this.logName();
      await this.requireExtends(tree, size, root, policy.directory);
      const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const note = signNote(
        checkpointText({ origin, size, root, extensions: [`time ${time}`] }),
        origin,
        policy.privateKey,
      );
      const checkpoint: SignedCheckpoint = { origin, size, rootSha256: root.toString('hex'), time, note };
      const path = policy.directory ? await keepInDirectory(policy.directory, checkpoint) : null;
      if (policy.sink) await deliver(policy.sink, checkpoint);
      this.signed = { size, root, source: path ?? 'the last checkpoint signed' };
      this.state = { ...this.state, last: { size, time, path }, failing: null };
      return { checkpoint, path };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.state = {
        ...this.state,
        failing: { message, since: this.state.failing?.since ?? new Date().toISOString() },
      };
      throw error;
    }
  }

  /**
   * A checkpoint of the tree at `size` seals (where an export was cut) that also names the export file's
   * SHA-256 (an `export-sha256` line), for its manifest: checkable offline with the public key. Not kept
   * in the directory. Null when checkpoints are off.
   */
  async signExport(size: number, sha256: string): Promise<string | null> {
    if (!this.policy) return null;
    const tree = new SealTree(this.dataSource, this.tables);
    const root = await tree.root(size);
    const origin = await this.logName();
    // the key signs only a tree that agrees with what it signed before: never a rewritten one
    await this.requireExtends(tree, size, root, this.policy.directory, true);
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const extensions = [`time ${time}`, `${EXPORT_LINE}${sha256}`];
    return signNote(checkpointText({ origin, size, root, extensions }), origin, this.policy.privateKey);
  }

  /** One scheduled run: a checkpoint when the tree grew and it is time (or a failed one is retried). */
  async tick(): Promise<void> {
    if (this.running || !this.policy) return;
    const policy = this.policy;
    this.running = (async () => {
      const size = await new SealTree(this.dataSource, this.tables).size();
      const last = this.state.last;
      const due =
        !last ||
        this.state.failing ||
        size - last.size >= policy.everyTransactions ||
        (size > last.size && Date.now() - Date.parse(last.time) >= policy.everySeconds * 1000);
      if (due) await this.emit();
    })()
      .catch((error: unknown) => this.logger.error(checkpointFailed(error)))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  onApplicationBootstrap(): void {
    if (!this.policy) return;
    // checked often, emitted when due: a burst of everyTransactions seals does not wait for everySeconds
    this.timer = setInterval(() => void this.tick(), Math.min(this.policy.everySeconds, 5) * 1000);
    this.timer.unref();
    schedulerRegistryOf(this.moduleRef)?.addInterval(CHECKPOINT_JOB_NAME, this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * The key signs only a tree that extends the last one it signed (kept in the directory, or signed by
   * this process): an RFC 9162 consistency proof from the database's tree must join the two roots. A
   * database whose sealed rows were rewritten and re-chained cannot give one, so its owner cannot have
   * the rewritten log signed (and proofs of the forged rows verified).
   */
  private async requireExtends(
    tree: SealTree,
    size: number,
    root: Buffer,
    directory: string | null | undefined,
    strictSameSize = false,
  ): Promise<void> {
    const kept = directory ? await latestKeptCheckpoint(directory, await this.verifier()) : null;
    const previous = [kept, this.signed].filter((c) => !!c).sort((a, b) => b!.size - a!.size)[0];
    // the same size with another root is refused where it is kept (keepInDirectory), naming the file
    if (!previous || (previous.size === size && !strictSameSize)) return;
    if (previous.size === size) {
      if (!previous.root.equals(root)) throw CheckpointConflictError.notExtending(previous.source, previous.size, size);
      return;
    }
    // an older size (an export cut before the last checkpoint) must be a prefix of the kept tree
    const [m, n, rootM, rootN] =
      previous.size < size ? [previous.size, size, previous.root, root] : [size, previous.size, root, previous.root];
    const proof = await tree.consistency(m, n).catch(() => null);
    if (!proof || !verifyConsistency(m, n, rootM, rootN, proof))
      throw CheckpointConflictError.notExtending(previous.source, previous.size, size);
  }

  private required(): CheckpointPolicy {
    if (!this.policy) throw CheckpointsOffError.create();
    return this.policy;
  }

  /** The origin: configured, or `threadline/<database>[/<audit schema>]`. */
  private async logName(): Promise<string> {
    if (this.policy?.origin) return this.policy.origin;
    if (!this.origin) {
      const [row] = await this.dataSource.query(`SELECT current_database() AS db`);
      const schema = this.tables.schema === 'public' ? '' : `/${this.tables.schema}`;
      this.origin = `threadline/${String(row.db).replace(/[\s+]/g, '_')}${schema.replace(/[\s+]/g, '_')}`;
    }
    return this.origin;
  }
}

async function deliver(sink: CheckpointSink, checkpoint: SignedCheckpoint): Promise<void> {
  if (typeof sink === 'function') {
    await sink(checkpoint);
    return;
  }
  const stream = sink as Writable;
  let onError: (error: Error) => void = () => undefined;
  try {
    // a stream that fails emits 'error' too: caught here, or it would end the process
    await new Promise<void>((resolve, reject) => {
      onError = reject;
      stream.once('error', onError);
      stream.write(checkpoint.note, (error) => (error ? reject(error) : resolve()));
    });
  } finally {
    stream.off('error', onError);
  }
}

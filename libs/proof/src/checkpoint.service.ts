import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditTables, errorType, logLine, schedulerRegistryOf } from '@threadline/core';
import { DataSource } from 'typeorm';
import { EXPORT_LINE, keepInDirectory, latestKeptCheckpoint, newestKept } from './checkpoint-store';
import { CheckpointStatus, KeptCheckpointsView } from './checkpoint.types';
import { IntegrityService } from './integrity.service';
import { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
import { deliver, requireAgrees, Signed, SigningQueue } from './checkpoint-rule';
import { CheckpointsOffError } from './proof.errors';
import { checkpointFailed } from './proof.messages';
import { CheckpointPolicy, IntegrityPolicy, SignedCheckpoint } from './proof.options';
import { SealTree } from './seal-tree';
import { checkpointText, NoteVerifier, rawPublicKey, signNote, verifierKey } from './signed-note';

export const CHECKPOINT_JOB_NAME = 'threadline.integrity.checkpoint';

/**
 * Signed checkpoints of the tree over the seals (docs/trust.md "Checkpoints"), kept outside the
 * database: signed with the Ed25519 key of `health.integrity.checkpoints` (never stored in the
 * database), written to its directory and handed to its sink. Emitted when the tree grew, at most every
 * `everySeconds` or as soon as `everyTransactions` seals were added; a sink that fails is retried at the
 * next tick and reported by health, and never blocks a write (sealing and checkpoints are after commit).
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(CheckpointService.name);
  private readonly policy: CheckpointPolicy | null;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private origin?: string;
  /** The last checkpoint this process signed: the next one must agree with it. */
  private signed: Signed | null = null;
  private readonly queue = new SigningQueue();
  private state: CheckpointStatus;

  constructor(
    private readonly dataSource: DataSource,
    private readonly integrity: IntegrityService,
    private readonly moduleRef: ModuleRef,
    @Inject(THREADLINE_INTEGRITY_POLICY) policy: IntegrityPolicy | null,
    @Optional() private readonly tables: AuditTables = AuditTables.DEFAULT,
  ) {
    this.policy = policy?.checkpoints ?? null;
    this.state = { enabled: !!this.policy, last: null, failing: null };
    // a stream sink may fail between writes, or after a write's callback (an fs stream closing): an
    // 'error' with no listener would end the process, so it is recorded instead
    const sink = this.policy?.sink;
    if (sink && typeof sink !== 'function') sink.on('error', (error: Error) => this.recordFailure(error));
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
    return this.queue.run(() => this.emitNow());
  }

  private async emitNow(): Promise<{ checkpoint: SignedCheckpoint; path: string | null }> {
    const policy = this.required();
    try {
      await this.integrity.seal();
      const tree = new SealTree(this.dataSource, this.tables);
      const size = await tree.size();
      const root = await tree.root(size);
      const origin = await this.logName();
      await requireAgrees(tree, size, root, await this.previous());
      const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const note = signNote(
        checkpointText({ origin, size, root, extensions: [`time ${time}`] }),
        origin,
        policy.privateKey,
      );
      const checkpoint: SignedCheckpoint = { origin, size, rootSha256: root.toString('hex'), time, note };
      const path = policy.directory ? await keepInDirectory(policy.directory, checkpoint) : null;
      if (policy.sink) await deliver(policy.sink, checkpoint, policy.sinkTimeoutSeconds * 1000);
      this.signed = { size, root, source: path ?? 'the last checkpoint signed' };
      this.state = { ...this.state, last: { size, time, path }, failing: null };
      return { checkpoint, path };
    } catch (error) {
      this.recordFailure(error);
      throw error;
    }
  }

  /**
   * The tree at `size` against the last checkpoint this process signed (or, after a restart, the newest
   * kept, read once: not the directory every tick); failing if the tree does not extend it.
   */
  private async recheck(size: number): Promise<void> {
    const tree = new SealTree(this.dataSource, this.tables);
    this.signed ??= await this.previous();
    await requireAgrees(tree, size, await tree.root(size), this.signed).catch((error: unknown) => {
      this.recordFailure(error);
      throw error;
    });
  }

  private recordFailure(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.state = { ...this.state, failing: { message, since: this.state.failing?.since ?? new Date().toISOString() } };
  }

  /** The last checkpoint signed by this process or kept in the directory, the larger. */
  private async previous(): Promise<Signed | null> {
    const dir = this.policy?.directory;
    const kept = dir ? await latestKeptCheckpoint(dir, await this.verifier()) : null;
    return [kept, this.signed].filter((c): c is Signed => !!c).sort((a, b) => b.size - a.size)[0] ?? null;
  }

  /**
   * A checkpoint of the tree at `size` seals (where an export was cut) that also names the export file's
   * SHA-256 (an `export-sha256` line), for its manifest: checkable offline with the public key. Not kept
   * in the directory. Null when checkpoints are off.
   */
  async signExport(size: number, sha256: string): Promise<string | null> {
    if (!this.policy) return null;
    // keep a checkpoint at least as large first, so nothing signed ever goes unkept
    const previous = await this.previous();
    if (!previous || previous.size < size) await this.emit();
    return this.queue.run(async () => {
      const tree = new SealTree(this.dataSource, this.tables);
      const root = await tree.root(size);
      const origin = await this.logName();
      await requireAgrees(tree, size, root, await this.previous());
      const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const extensions = [`time ${time}`, `${EXPORT_LINE}${sha256}`];
      return signNote(checkpointText({ origin, size, root, extensions }), origin, this.policy!.privateKey);
    });
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
      // idle, it still checks the tree against what it kept: a rewrite that rebuilt the tree, or seals
      // deleted from the end, shows within a tick
      else if (last && size <= last.size) await this.queue.run(() => this.recheck(size));
    })()
      .catch((error: unknown) =>
        logLine(this.logger, 'error', 'proof:checkpoint_failed', checkpointFailed(error), {
          error_type: errorType(error),
        }),
      )
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

  /** Stops the timer before any module shuts down (the DataSource included), then waits for a running tick. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
  }

  /**
   * The key signs only a tree that extends the last one it signed (kept in the directory, or signed by
   * this process): an RFC 9162 consistency proof from the database's tree must join the two roots. A
   * database whose sealed rows were rewritten and re-chained cannot give one, so its owner cannot have
   * the rewritten log signed (and proofs of the forged rows verified).
   */

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

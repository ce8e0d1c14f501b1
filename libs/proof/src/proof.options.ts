import { InvalidOptionsError, optionProblems } from '@threadline/core';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import { CheckpointKeyError } from './proof.errors';
import { checkpointOptionProblems, notSeconds } from './proof.messages';
import { ed25519Key, validKeyName } from './signed-note';

/** A checkpoint as kept: the signed note and what it says. */
export interface SignedCheckpoint {
  origin: string;
  size: number;
  /** The tree's root, hex. */
  rootSha256: string;
  /** When it was signed (ISO 8601, UTC), also a line of the note. */
  time: string;
  /** The signed note (C2SP tlog-checkpoint), as written to every sink. */
  note: string;
}

/** Where checkpoints go besides the directory: a stream (each note written whole) or a function (object storage, a witness). */
export type CheckpointSink = Writable | ((checkpoint: SignedCheckpoint) => unknown);

/**
 * Signed checkpoints of the Merkle tree over the seals, kept outside the database (docs/trust.md
 * "Checkpoints"): `health.integrity.checkpoints` through ThreadlineModule.
 */
export interface CheckpointOptions {
  /** A directory to keep one file per checkpoint in (`<tree size>.checkpoint`, never overwritten); created if missing. */
  directory?: string;
  /** The signing key: a PKCS#8 PEM Ed25519 private key file (openssl genpkey -algorithm ed25519). Never stored in the database. */
  privateKeyFile?: string;
  /** The signing key as PEM text, instead of a file. */
  privateKey?: string;
  /** The log's name, the checkpoints' first line and the key's name (default `threadline/<database>/<audit schema>`). */
  origin?: string;
  /** Emit one when the tree grew, at most this often (seconds, default 30). */
  everySeconds?: number;
  /** ...or as soon as this many seals were added since the last (default 100000). */
  everyTransactions?: number;
  /** Also (or instead of `directory`) hand each checkpoint to this stream or function. */
  sink?: CheckpointSink;
  /** How long the sink may take to take one checkpoint before it counts as failing (seconds, default 30). */
  sinkTimeoutSeconds?: number;
}

export interface CheckpointPolicy {
  directory: string | null;
  privateKey: KeyObject;
  origin: string | null;
  everySeconds: number;
  everyTransactions: number;
  sink: CheckpointSink | null;
  sinkTimeoutSeconds: number;
}

/**
 * Tamper evidence's cadence (`health.integrity` in `ThreadlineModule.forRoot`,
 * which hands it to ThreadlineProofModule as `integrity`). The proof module
 * seals every `sealEverySeconds`; the Terminus indicator of
 * @threadline/health checks the chain at most every `checkEverySeconds`,
 * waits `waitSeconds` for a running check and makes only one check in
 * `fullEverySeconds` a full one (see HealthOptions.integrity).
 */
export interface IntegrityOptions {
  sealEverySeconds?: number;
  checkEverySeconds?: number;
  waitSeconds?: number;
  fullEverySeconds?: number;
  /** Signed checkpoints kept outside the database (off unless set). */
  checkpoints?: CheckpointOptions;
}

export interface IntegrityPolicy {
  sealEverySeconds: number;
  checkEverySeconds: number;
  waitSeconds: number;
  fullEverySeconds: number;
  checkpoints: CheckpointPolicy | null;
}

/** `ThreadlineProofModule.forRoot(...)`. */
export interface ProofOptions {
  /** Seal committed audit transactions every `integrity.sealEverySeconds` (default 60; 0: only when a check runs). */
  integrity?: IntegrityOptions;
}

const KEYS = ['integrity'];
const SECONDS_KEYS = ['sealEverySeconds', 'checkEverySeconds', 'waitSeconds', 'fullEverySeconds'] as const;
const INTEGRITY_KEYS = [...SECONDS_KEYS, 'checkpoints'];
const CHECKPOINT_KEYS = [
  'directory',
  'privateKeyFile',
  'privateKey',
  'origin',
  'everySeconds',
  'everyTransactions',
  'sink',
  'sinkTimeoutSeconds',
];

/** What is wrong with integrity options found at `path` (`health.integrity`), each problem naming its option. */
export function integrityOptionsProblems(path: string, options: IntegrityOptions | undefined): string[] {
  if (options === undefined) return [];
  const problems = optionProblems(path, options, INTEGRITY_KEYS);
  if (problems.length) return problems;
  for (const key of SECONDS_KEYS) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 86_400))
      problems.push(notSeconds(path, key, value));
  }
  return [...problems, ...checkpointProblems(`${path}.checkpoints`, options.checkpoints)];
}

/** What is wrong with checkpoint options (the key is read here, so a missing or wrong key fails at boot). */
function checkpointProblems(path: string, o: CheckpointOptions | undefined): string[] {
  if (o === undefined) return [];
  const problems = optionProblems(path, o, CHECKPOINT_KEYS);
  if (problems.length) return problems;
  const say = checkpointOptionProblems;
  if (!o.directory && !o.sink) problems.push(say.noSink(path));
  if (o.directory !== undefined && (typeof o.directory !== 'string' || !o.directory))
    problems.push(say.notAPath(path, 'directory', o.directory));
  if ((o.privateKey === undefined) === (o.privateKeyFile === undefined)) problems.push(say.oneKey(path));
  else {
    try {
      checkpointKey(o);
    } catch (error) {
      problems.push(`${path}.${o.privateKeyFile ? 'privateKeyFile' : 'privateKey'}: ${(error as Error).message}`);
    }
  }
  if (o.origin !== undefined && !(typeof o.origin === 'string' && validKeyName(o.origin)))
    problems.push(say.origin(path, o.origin));
  if (
    o.everySeconds !== undefined &&
    !(Number.isInteger(o.everySeconds) && o.everySeconds >= 1 && o.everySeconds <= 86_400)
  )
    problems.push(say.range(path, 'everySeconds', 1, 86_400, o.everySeconds));
  if (
    o.everyTransactions !== undefined &&
    !(Number.isInteger(o.everyTransactions) && o.everyTransactions >= 1 && o.everyTransactions <= 1e9)
  )
    problems.push(say.range(path, 'everyTransactions', 1, 1e9, o.everyTransactions));
  if (
    o.sinkTimeoutSeconds !== undefined &&
    !(Number.isInteger(o.sinkTimeoutSeconds) && o.sinkTimeoutSeconds >= 1 && o.sinkTimeoutSeconds <= 3600)
  )
    problems.push(say.range(path, 'sinkTimeoutSeconds', 1, 3600, o.sinkTimeoutSeconds));
  if (o.sink !== undefined && typeof o.sink !== 'function' && typeof (o.sink as Writable)?.write !== 'function')
    problems.push(say.sink(path));
  return problems;
}

function checkpointKey(o: CheckpointOptions): KeyObject {
  if (o.privateKey !== undefined) return ed25519Key(String(o.privateKey), 'the checkpoint key');
  let pem: Buffer;
  try {
    pem = readFileSync(String(o.privateKeyFile));
  } catch (error) {
    throw CheckpointKeyError.unreadable(String(o.privateKeyFile), error);
  }
  return ed25519Key(pem, String(o.privateKeyFile));
}

function resolveCheckpoints(o: CheckpointOptions | undefined): CheckpointPolicy | null {
  return o
    ? {
        directory: o.directory ?? null,
        privateKey: checkpointKey(o),
        origin: o.origin ?? null,
        everySeconds: o.everySeconds ?? 30,
        everyTransactions: o.everyTransactions ?? 100_000,
        sink: o.sink ?? null,
        sinkTimeoutSeconds: o.sinkTimeoutSeconds ?? 30,
      }
    : null;
}

/** The integrity policy with its defaults; null when integrity is not set. */
export function resolveIntegrityPolicy(options: IntegrityOptions | undefined): IntegrityPolicy | null {
  return options
    ? {
        sealEverySeconds: options.sealEverySeconds ?? 60,
        checkEverySeconds: options.checkEverySeconds ?? 300,
        waitSeconds: options.waitSeconds ?? 5,
        fullEverySeconds: options.fullEverySeconds ?? 0,
        checkpoints: resolveCheckpoints(options.checkpoints),
      }
    : null;
}

/** What is wrong with ThreadlineProofModule's options, each problem naming its option (`proof.integrity...`). */
export function proofOptionsProblems(options: ProofOptions | undefined): string[] {
  const problems = optionProblems('proof', options, KEYS);
  if (problems.length) return problems;
  return integrityOptionsProblems('proof.integrity', options?.integrity);
}

/** Throws InvalidOptionsError listing every problem, or returns the integrity policy. */
export function resolveProofPolicy(options: ProofOptions | undefined): IntegrityPolicy | null {
  InvalidOptionsError.throwIfAny(proofOptionsProblems(options));
  return resolveIntegrityPolicy(options?.integrity);
}

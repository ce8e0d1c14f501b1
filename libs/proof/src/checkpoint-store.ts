import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { KeptCheckpoint } from './checkpoint-check';
import { CheckpointConflictError, CheckpointSinkError } from './proof.errors';
import { keptCheckpointProblems } from './proof.messages';
import { SignedCheckpoint } from './proof.options';
import { NoteVerifier, openNote, parseCheckpoint } from './signed-note';

// The directory sink: one file per checkpoint, named by its tree size, written once and never rewritten,
// and read back, signature checked, for verification and proofs. A file appears whole or not at all: the
// note is written and synced to a temporary name (not *.checkpoint, so never read), then hard-linked to
// its name, which fails if that name exists (no overwrite); a full disk or a killed process leaves no
// empty or torn checkpoint behind to block the next one (at most a .tmp file, never read). A file system
// without hard links is refused, naming why.

const SUFFIX = '.checkpoint';
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** A checkpoint note is a few hundred bytes: anything larger is not one. */
const MAX_NOTE_BYTES = 64 * 1024;

/**
 * A kept file's text, or why it is not read: only a regular file (not a FIFO, a device or a symlink, which
 * could hang or exhaust the reader) of at most MAX_NOTE_BYTES.
 */
async function readKeptFile(file: string): Promise<string | { problem: string }> {
  const stat = await lstat(file);
  if (!stat.isFile()) return { problem: keptCheckpointProblems.notAFile(file) };
  if (stat.size > MAX_NOTE_BYTES) return { problem: keptCheckpointProblems.tooLarge(file, stat.size) };
  return readFile(file, 'utf8');
}

/** The file a checkpoint of `size` seals is kept in. */
export function checkpointFileName(size: number): string {
  return `${String(size).padStart(12, '0')}${SUFFIX}`;
}

/**
 * Keeps `checkpoint` in `directory`; returns its path. A file for that size already there with the same
 * root is the same checkpoint (kept again: nothing written). One with another root means the tree of
 * that size changed since: refused, never overwritten.
 */
export async function keepInDirectory(directory: string, checkpoint: SignedCheckpoint): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, checkpointFileName(checkpoint.size));
  const temporary = path.join(
    directory,
    `.${checkpointFileName(checkpoint.size)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'wx', 0o444);
    try {
      await handle.writeFile(checkpoint.note);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // no fallback to writing in place where the file system has no hard links: that is what left torn files
    await link(temporary, file).catch((error: NodeJS.ErrnoException) => {
      throw NO_LINKS.has(error.code ?? '') ? CheckpointSinkError.noHardLinks(directory, error.code) : error;
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const text = await readKeptFile(file);
    const kept = typeof text === 'string' ? parseCheckpoint(text.split('\n\n')[0] + '\n') : undefined;
    if (kept?.root.toString('hex') !== checkpoint.rootSha256)
      throw CheckpointConflictError.create(file, checkpoint.size);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  return file;
}

/** A kept checkpoint read from a file, its signature checked, with the note itself. */
export interface ReadCheckpoint extends KeptCheckpoint {
  origin: string;
  note: string;
}

/**
 * Every checkpoint file in `directory` (`*.checkpoint`), each opened with `verifier`: those it signed,
 * and a problem for each file it did not (altered, signed by another key, not a checkpoint).
 */
export async function readKeptCheckpoints(
  directory: string,
  verifier: NoteVerifier,
): Promise<{ checkpoints: ReadCheckpoint[]; problems: string[] }> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    // named, not a stack trace: a mistyped --checkpoints, or a directory this user cannot read
    return { checkpoints: [], problems: [keptCheckpointProblems.unreadable(directory, error)] };
  }
  const names = entries.filter((n) => n.endsWith(SUFFIX)).sort();
  const checkpoints: ReadCheckpoint[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const read = await readNamed(directory, name, verifier);
    if ('problem' in read) problems.push(read.problem);
    else checkpoints.push(read);
  }
  if (names.length === 0) problems.push(keptCheckpointProblems.none(directory));
  return { checkpoints, problems };
}

/** The largest checkpoint in `directory` that `verifier` signed (files not signed by it are skipped), or null. */
export async function latestKeptCheckpoint(directory: string, verifier: NoteVerifier): Promise<ReadCheckpoint | null> {
  return (await newestKept(directory, verifier)).latest;
}

/**
 * The newest checkpoint in `directory` its key signed, and a problem for each newer file it did not: what
 * the Integrity page checks against. The key signs only trees that extend what it signed before, so the
 * newest one stands for the older ones; `verify-integrity --checkpoints` still reads them all.
 */
export async function newestKept(
  directory: string,
  verifier: NoteVerifier,
): Promise<{ latest: ReadCheckpoint | null; problems: string[] }> {
  // only a directory not made yet is empty: one that cannot be read must not read as 'nothing signed yet'
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const names = entries.filter((n) => n.endsWith(SUFFIX)).sort();
  const problems: string[] = [];
  for (const name of names.reverse()) {
    const read = await readNamed(directory, name, verifier);
    if (!('problem' in read)) return { latest: read, problems };
    problems.push(read.problem);
  }
  return { latest: null, problems };
}

/** Reads kept file `name`: signed by `verifier`, and for the size its name says (an old one copied to a newer name is not). */
async function readNamed(
  directory: string,
  name: string,
  verifier: NoteVerifier,
): Promise<ReadCheckpoint | { problem: string }> {
  const file = path.join(directory, name);
  const text = await readKeptFile(file);
  const read = typeof text === 'string' ? readCheckpointNote(text, verifier, file) : text;
  if ('problem' in read || checkpointFileName(read.size) === name) return read;
  return { problem: keptCheckpointProblems.misnamed(file, read.size) };
}

/** Opens one checkpoint note with `verifier`. */
export function readCheckpointNote(
  note: string,
  verifier: NoteVerifier,
  source: string,
): ReadCheckpoint | { problem: string } {
  const opened = openNote(note, verifier);
  if ('problem' in opened) return { problem: keptCheckpointProblems.notSigned(source, opened.problem) };
  const checkpoint = parseCheckpoint(opened.text);
  if (!checkpoint) return { problem: keptCheckpointProblems.notACheckpoint(source) };
  if (checkpoint.origin !== opened.name)
    return { problem: keptCheckpointProblems.otherLog(source, checkpoint.origin, opened.name) };
  return { size: checkpoint.size, root: checkpoint.root, source, origin: checkpoint.origin, note };
}

/** The extension line an export's checkpoint names the export file's SHA-256 in. */
export const EXPORT_LINE = 'export-sha256 ';

/** Opens an export manifest's signed checkpoint: the tree size and root it was cut at, and the file's SHA-256 it names. */
export function readExportCheckpoint(
  note: string,
  verifier: NoteVerifier,
): { size: number; root: Buffer; sha256: string; origin: string } | { problem: string } {
  const read = readCheckpointNote(note, verifier, "the manifest's signed checkpoint");
  if ('problem' in read) return read;
  const line = parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1))?.extensions.find((l) =>
    l.startsWith(EXPORT_LINE),
  );
  if (!line) return { problem: keptCheckpointProblems.notAnExport() };
  return { size: read.size, root: read.root, sha256: line.slice(EXPORT_LINE.length), origin: read.origin };
}

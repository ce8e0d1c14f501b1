import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { CheckpointKeyError } from './proof.errors';
import { noteProblems } from './proof.messages';

// C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint), Ed25519 only,
// through node:crypto. A note is UTF-8 text ending in a newline, a blank line, then signature lines
// `— <key name> <base64(key id || signature)>`; the signature covers the text with its final newline.
// A key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key); a verifier key is
// `<name>+<key id hex>+<base64(0x01 || public key)>`. A checkpoint's text is the origin, the tree size
// and the base64 root hash, one a line, then any extension lines.

const ED25519 = 0x01;
const DASH = '\u2014 ';

/** A key that verifies notes: its name (a log's origin) and the raw 32-byte Ed25519 public key. */
export interface NoteVerifier {
  name: string;
  publicKey: Buffer;
}

/** A checkpoint, as signed. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** Lines after the root hash (this library writes `time <ISO 8601>`). */
  extensions: string[];
}

/** Why a note was not accepted; `undefined` when it was. */
export type NoteProblem = string;

/** A key name: non-empty, no whitespace, no `+`. */
export function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function keyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The raw public key of an Ed25519 private or public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw CheckpointKeyError.notEd25519('the key', key.asymmetricKeyType);
  return Buffer.from(jwk.x, 'base64url');
}

/** The verifier key text (`<name>+<id>+<key>`) others use to check this log's checkpoints. */
export function verifierKey(name: string, publicKey: Buffer): string {
  return `${name}+${keyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), publicKey]).toString('base64')}`;
}

/** Reads a verifier key text; undefined when it is not one (wrong shape, not Ed25519, id not matching). */
export function parseVerifierKey(text: string): NoteVerifier | undefined {
  // the key's base64 may itself hold '+': the name and id are the first two fields, the key the rest
  const [name, id, ...rest] = text.trim().split('+');
  const parts = [name, id, rest.join('+')];
  if (rest.length === 0 || !validKeyName(parts[0]) || !/^[0-9a-f]{8}$/.test(parts[1])) return undefined;
  const key = Buffer.from(parts[2], 'base64');
  if (key.length !== 33 || key[0] !== ED25519) return undefined;
  const publicKey = key.subarray(1);
  if (!keyId(parts[0], publicKey).equals(Buffer.from(parts[1], 'hex'))) return undefined;
  return { name: parts[0], publicKey };
}

/** Signs `text` (one or more lines, each ending in a newline, no blank line) as key `name`. */
export function signNote(text: string, name: string, privateKey: KeyObject): string {
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  const id = keyId(name, rawPublicKey(privateKey));
  return `${text}\n${DASH}${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

/**
 * Opens a signed note: its text when a signature line of `verifier` (same name and key id) verifies.
 * Lines of other keys are skipped, as the spec says; a failing signature of the verifier's key rejects.
 */
export function openNote(
  note: string,
  verifier: NoteVerifier,
): { text: string; name: string } | { problem: NoteProblem } {
  const at = note.lastIndexOf('\n\n');
  if (at < 0 || !note.endsWith('\n')) return { problem: noteProblems.notANote() };
  const text = note.slice(0, at + 1);
  const lines = note.slice(at + 2, -1).split('\n');
  const key = publicKeyObject(verifier.publicKey);
  // every line well-formed before any is taken: a note is accepted whole or not at all
  const matches = lines.map((line) => /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line));
  // one spelling per signature too: padded base64, unused bits zero
  const bad = matches.findIndex((m) => !m || Buffer.from(m[2], 'base64').toString('base64') !== m[2]);
  if (bad >= 0) return { problem: noteProblems.malformedLine(lines[bad]) };
  for (const [, name, signature] of matches as RegExpExecArray[]) {
    const blob = Buffer.from(signature, 'base64');
    if (name !== verifier.name) continue;
    if (blob.length < 4 || !blob.subarray(0, 4).equals(keyId(name, verifier.publicKey))) continue;
    return verify(null, Buffer.from(text, 'utf8'), key, blob.subarray(4))
      ? { text, name }
      : { problem: noteProblems.badSignature(name) };
  }
  return { problem: noteProblems.unsigned(verifier.name, keyId(verifier.name, verifier.publicKey).toString('hex')) };
}

/**
 * Reads a verifier: the key text `public-key` prints (`<name>+<id>+<key>`). A PEM key is refused, naming
 * why: it names no log, so a checkpoint of another log signed with the same key would pass.
 */
export function readVerifier(text: string, what: string): NoteVerifier {
  const parsed = parseVerifierKey(text);
  if (parsed) return parsed;
  ed25519Key(text, what); // not a key at all, or not Ed25519: says so
  throw CheckpointKeyError.namesNoLog(what);
}

/** The text of a checkpoint, to sign. */
export function checkpointText(c: Checkpoint): string {
  return [c.origin, String(c.size), c.root.toString('base64'), ...c.extensions].map((l) => `${l}\n`).join('');
}

/** Reads a checkpoint's text (an opened note); undefined when it is not one. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length < 3) return undefined;
  const [origin, size, root, ...extensions] = lines;
  const hash = Buffer.from(root, 'base64');
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(size) || hash.length !== 32 || hash.toString('base64') !== root)
    return undefined;
  if (!Number.isSafeInteger(Number(size))) return undefined;
  return { origin, size: Number(size), root: hash, extensions };
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Reads an Ed25519 key from PEM (PKCS#8 private, or SPKI public); `what` names it in errors. */
export function ed25519Key(pem: string | Buffer, what: string): KeyObject {
  const text = pem.toString();
  let key: KeyObject;
  try {
    key = text.includes('PRIVATE KEY') ? createPrivateKey(text) : createPublicKey(text);
  } catch (error) {
    throw CheckpointKeyError.unreadable(what, error);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw CheckpointKeyError.notEd25519(what, key.asymmetricKeyType);
  return key;
}

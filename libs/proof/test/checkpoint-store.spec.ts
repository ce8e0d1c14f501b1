import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { keepInDirectory, readKeptCheckpoints } from '../src/checkpoint-store';
import { checkpointText, rawPublicKey, signNote } from '../src/signed-note';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('the checkpoint directory (no database)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'threadline-keep-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const { privateKey } = generateKeyPairSync('ed25519');
  const origin = 'example.com/audit';
  const checkpoint = (size: number, fill: number) => {
    const root = Buffer.alloc(32, fill);
    const time = '2026-12-02T00:00:00Z';
    const note = signNote(checkpointText({ origin, size, root, extensions: [`time ${time}`] }), origin, privateKey);
    return { origin, size, rootSha256: root.toString('hex'), time, note };
  };

  it('a write that fails half-way (the file size limit, as a full disk) leaves no checkpoint file behind to block the next', async () => {
    // a child with a file size limit of 0: it can create a file but not write a byte into it (EFBIG)
    const script = `require(${JSON.stringify(path.join(ROOT, 'libs/proof/dist/checkpoint-store.js'))})
      .keepInDirectory(process.argv[1], JSON.parse(process.argv[2]))
      .then(() => process.exit(0), (e) => { console.error(e.code); process.exit(3); });`;
    const child = spawnSync(
      'sh',
      [
        '-c',
        `trap '' XFSZ; ulimit -f 0; exec "$0" -e "$1" "$2" "$3"`,
        process.execPath,
        script,
        dir,
        JSON.stringify(checkpoint(21, 1)),
      ],
      { encoding: 'utf8' },
    );
    expect({ status: child.status, stderr: child.stderr.trim() }).toEqual({ status: 3, stderr: 'EFBIG' });
    expect(readdirSync(dir)).toEqual([]);
    // the next attempt, with room, keeps it whole
    await keepInDirectory(dir, checkpoint(21, 1));
    const read = await readKeptCheckpoints(dir, { name: origin, publicKey: rawPublicKey(privateKey) });
    expect(read.problems).toEqual([]);
    expect(read.checkpoints.map((c) => c.size)).toEqual([21]);
    expect(readdirSync(dir)).toEqual(['000000000021.checkpoint']);
  });

  it('keeps a checkpoint once: the same one again is a no-op, another root for that size is refused, never overwritten', async () => {
    const file = await keepInDirectory(dir, checkpoint(5, 1));
    await expect(keepInDirectory(dir, checkpoint(5, 1))).resolves.toBe(file);
    await expect(keepInDirectory(dir, checkpoint(5, 2))).rejects.toThrow(/000000000005\.checkpoint/);
    const read = await readKeptCheckpoints(dir, { name: origin, publicKey: rawPublicKey(privateKey) });
    expect(read.checkpoints.map((c) => c.root.toString('hex'))).toEqual([Buffer.alloc(32, 1).toString('hex')]);
    expect(readdirSync(dir)).toEqual(['000000000005.checkpoint']);
  });

  it('names a checkpoint directory it cannot read (missing, or not a directory) instead of throwing', async () => {
    const verifier = { name: origin, publicKey: rawPublicKey(privateKey) };
    expect(await readKeptCheckpoints(path.join(dir, 'missing'), verifier)).toEqual({
      checkpoints: [],
      problems: [expect.stringMatching(/missing cannot be read as a checkpoint directory \(ENOENT\)/)],
    });
    writeFileSync(path.join(dir, 'a-file'), 'x');
    expect(await readKeptCheckpoints(path.join(dir, 'a-file'), verifier)).toEqual({
      checkpoints: [],
      problems: [expect.stringMatching(/a-file cannot be read as a checkpoint directory \(ENOTDIR\)/)],
    });
  });
});

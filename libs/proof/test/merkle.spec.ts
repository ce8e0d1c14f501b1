import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodesRead,
  rootHash,
  TreeBuilder,
  TreeNodeReader,
  verifyConsistency,
  verifyInclusion,
} from '../src/merkle';
import {
  checkpointText,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  readVerifier,
  rawPublicKey,
  signNote,
  verifierKey,
} from '../src/signed-note';

// RFC 6962's test vectors, as the certificate-transparency and transparency-dev suites pin them.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (b: Buffer[]) => b.map((x) => x.toString('hex'));

/** All complete aligned subtrees of `leaves`, as the database stores them. */
function store(leaves: Buffer[]): TreeNodeReader {
  const levels: Buffer[][] = [leaves.map(leafHash)];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < below.length; i += 2)
      next.push(
        createHash('sha256')
          .update(Buffer.from([1]))
          .update(below[i])
          .update(below[i + 1])
          .digest(),
      );
    levels.push(next);
  }
  return (level, index) => {
    const h = levels[level]?.[index];
    if (!h) throw new Error(`no stored node ${level}/${index}`);
    return h;
  };
}

describe('the Merkle tree (RFC 6962)', () => {
  const leaves = LEAVES.map((l) => Buffer.from(l, 'hex'));
  const node = store(leaves);

  it('gives the RFC 6962 roots for 0 to 8 leaves, from stored subtrees and built leaf by leaf', () => {
    const builder = new TreeBuilder();
    expect(builder.root().toString('hex')).toBe(ROOTS[0]);
    for (let n = 1; n <= 8; n++) {
      builder.append(leafHash(leaves[n - 1]));
      expect(rootHash(n, node).toString('hex')).toBe(ROOTS[n]);
      expect(builder.root().toString('hex')).toBe(ROOTS[n]);
    }
  });

  it('gives the pinned inclusion and consistency proofs', () => {
    expect(hex(inclusionProof(0, 8, node))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(hex(inclusionProof(5, 8, node))).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(consistencyProof(1, 8, node))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(hex(consistencyProof(6, 8, node))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(consistencyProof(2, 5, node))).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });

  it('verifies every inclusion and consistency proof up to 70 leaves, and refuses each one altered', () => {
    const many = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf ${i}`));
    const tree = store(many);
    const flip = (b: Buffer) => Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x)));
    for (let n = 1; n <= 70; n++) {
      const root = rootHash(n, tree);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, tree);
        const leaf = leafHash(many[i]);
        expect(verifyInclusion(i, n, leaf, proof, root)).toBe(true);
        if (n < 70) expect(verifyInclusion(i, n, leaf, proof, rootHash(n + 1, tree))).toBe(false);
        expect(verifyInclusion(i, n, flip(leaf), proof, root)).toBe(false);
        if (proof.length) expect(verifyInclusion(i, n, leaf, [flip(proof[0]), ...proof.slice(1)], root)).toBe(false);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, leaf, proof, root)).toBe(false);
      }
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(m, n, tree);
        const older = rootHash(m, tree);
        expect(verifyConsistency(m, n, older, root, proof)).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, flip(older), root, proof)).toBe(false);
          expect(verifyConsistency(m, n, older, flip(root), proof)).toBe(false);
          if (proof.length) expect(verifyConsistency(m, n, older, root, proof.slice(1))).toBe(false);
        }
      }
    }
  });

  it('reads O(log n) stored subtrees for a proof in a tree of ten million', () => {
    const size = 10_000_000;
    const nodes = nodesRead((node) => inclusionProof(6_543_210, size, node));
    expect(nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)));
    const consistency = nodesRead((node) => consistencyProof(9_999_000, size, node));
    expect(consistency.length).toBeLessThanOrEqual(3 * Math.ceil(Math.log2(size)));
  });
});

describe('signed notes and checkpoints (C2SP)', () => {
  it('opens the Go sumdb/note example note with its verifier key', () => {
    const verifier = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k')!;
    expect(verifier).toBeDefined();
    const note =
      'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    expect(openNote(note, verifier)).toEqual({ text: 'This is an example message.\n', name: 'example.com/foo' });
    expect(openNote(note.replace('example message', 'exemple message'), verifier)).toHaveProperty('problem');
  });

  it("reads a verifier key whose base64 holds '+' (the name and id are the first two fields)", () => {
    for (let i = 0; i < 40; i++) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const text = verifierKey('a.example/log', rawPublicKey(privateKey));
      expect(parseVerifierKey(text)).toEqual({ name: 'a.example/log', publicKey: rawPublicKey(privateKey) });
    }
  });

  it('refuses a PEM key as a verifier: it names no log, so another log signed with it would pass', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const text = verifierKey('a.example/log', rawPublicKey(privateKey));
    expect(readVerifier(text, 'k')).toEqual({ name: 'a.example/log', publicKey: rawPublicKey(privateKey) });
    expect(() => readVerifier(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'key.pem')).toThrow(
      /key\.pem is a PEM key, which names no log/,
    );
    expect(() => readVerifier('not a key', 'key.txt')).toThrow(/key\.txt cannot be read as a key/);
  });

  it('signs a checkpoint that only its own key opens, and reads it back', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').privateKey;
    const name = 'threadline.test/log';
    const checkpoint = {
      origin: name,
      size: 8,
      root: Buffer.from(ROOTS[8], 'hex'),
      extensions: ['time 2026-12-02T00:00:00Z'],
    };
    const note = signNote(checkpointText(checkpoint), name, privateKey);
    const verifier = parseVerifierKey(verifierKey(name, rawPublicKey(privateKey)))!;
    const opened = openNote(note, verifier);
    expect(opened).toEqual({ text: checkpointText(checkpoint), name });
    expect(parseCheckpoint((opened as { text: string }).text)).toEqual(checkpoint);
    // signed by another key under the same name: refused
    expect(openNote(signNote(checkpointText(checkpoint), name, other), verifier)).toHaveProperty('problem');
    // the size or the root changed after signing: refused
    expect(openNote(note.replace('\n8\n', '\n9\n'), verifier)).toHaveProperty('problem');
    expect(
      parseVerifierKey(verifierKey(name, rawPublicKey(privateKey)).replace(/\+[0-9a-f]{8}\+/, '+00000000+')),
    ).toBeUndefined();
    expect(parseCheckpoint('origin\n12\nnot-base64\n')).toBeUndefined();
    expect(parseCheckpoint('origin\n012\n' + ROOTS[1] + '\n')).toBeUndefined();
  });
});

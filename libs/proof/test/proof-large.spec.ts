import { chainLinkText } from '@threadline/capture';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { leafHash } from '../src/merkle';
import { hashListText, PROOF_FORMAT, ProofFile, verifyProof } from '../src/proof-file';
import { checkpointText, rawPublicKey, signNote } from '../src/signed-note';

const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

describe('verifyProof of a large transaction', () => {
  it('checks a transaction of 150,000 changes (no spread of its change hashes onto the call stack)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const changes = Array.from({ length: 150_000 }, (_, i) => sha256(Buffer.from(`[${i + 1}]`)));
    const canonical = JSON.stringify(['00000000-0000-0000-0000-000000000001']);
    const actions = sha256();
    const all = changes.reduce((h, c) => h.update(c), createHash('sha256')).digest();
    const content = sha256(sha256(Buffer.from(canonical)), actions, all);
    const transactionId = '00000000-0000-0000-0000-000000000001';
    const root = leafHash(Buffer.concat([Buffer.from(chainLinkText(1, transactionId, 2, changes.length)), content]));
    const origin = 'example.com/audit';
    const proof: ProofFile = {
      format: PROOF_FORMAT,
      seq: 1,
      sealFormat: 2,
      transaction: canonical,
      actionsSha256: actions.toString('base64'),
      changeSha256: hashListText(changes),
      change: '[7]',
      inclusion: '',
      checkpoint: signNote(checkpointText({ origin, size: 1, root, extensions: [] }), origin, privateKey),
    };
    expect(verifyProof(proof, { name: origin, publicKey: rawPublicKey(privateKey) })).toMatchObject({
      ok: true,
      seq: 1,
    });
  });
});

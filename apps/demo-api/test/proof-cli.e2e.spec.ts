import { spawnSync } from 'child_process';
import { createHash, generateKeyPairSync } from 'crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createTestDatabase, TestDatabase } from '@threadline/testing';

const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The 30-line check docs/trust.md shows, taken from the page as written. */
function documentedVerifier(): string {
  const page = readFileSync(path.join(ROOT, 'docs', 'trust.md'), 'utf8');
  const block = /```js\n(\/\/ verify-proof\.js[\s\S]*?)```/.exec(page);
  if (!block) throw new Error('docs/trust.md has no verify-proof.js block');
  return block[1];
}

describe('checkpoints and proofs from the command line (spawned like `npm run cli -- ...`)', () => {
  let db: TestDatabase;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it first (tsc -b apps/demo-api)`);
    db = await createTestDatabase();
    work = mkdtempSync(path.join(tmpdir(), 'proof-cli-'));
    const key = path.join(work, 'checkpoint-key.pem');
    writeFileSync(key, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    env = {
      ...process.env,
      DATABASE_URL: db.url,
      THREADLINE_CHECKPOINT_DIR: path.join(work, 'checkpoints'),
      THREADLINE_CHECKPOINT_KEY: key,
    };
    expect(cli('migrate').code).toBe(0);
    await db.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', false);
      INSERT INTO users (name, email, password_hash) SELECT 'n' || g, 'u' || g || '@example.com', 'x' FROM generate_series(1, 3) g`);
    for (let i = 0; i < 20; i++)
      await db.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', false);
        UPDATE users SET email = 'v${i}@example.com' WHERE id = 1`);
  });
  afterAll(() => db.drop());

  it('checkpoint, public-key, proof, verify-proof (and the documented 30 lines) and verify-integrity --checkpoints', async () => {
    const emitted = cli('checkpoint');
    expect(emitted.stderr).toBe('');
    expect(emitted.code).toBe(0);
    expect(emitted.stdout).toMatch(/checkpoints\/0+21\.checkpoint\n.*: 21 seals, root [0-9a-f]{64}/);
    const publicKey = cli('public-key');
    expect(publicKey.code).toBe(0);
    const keyFile = path.join(work, 'verifier.key');
    writeFileSync(keyFile, publicKey.stdout);
    const [change] = await db.query<{ id: string }>(`SELECT id::text FROM audit_changes ORDER BY id DESC LIMIT 1`);
    const proofFile = path.join(work, 'proof.json');
    const proved = cli('proof', '--change', change.id, '--out', proofFile);
    expect(proved.code).toBe(0);
    expect(proved.stdout).toMatch(/proof\.json \(\d+ bytes\): seal #\d+ in the tree of 21/);
    const verified = cli('verify-proof', proofFile, '--public-key', keyFile);
    expect(verified).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^OK: seal #\d+ .*change \d+.* at 21 seals/),
    });
    // the documented verifier, in plain Node, agrees; and shows no masked value in clear
    const script = path.join(work, 'verify-proof.js');
    writeFileSync(script, documentedVerifier());
    const plain = spawnSync(process.execPath, [script, proofFile, publicKey.stdout.trim()], { encoding: 'utf8' });
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toMatch(/^OK [0-9a-f-]{36} \[/);
    expect(plain.stdout).toContain('[REDACTED]');
    expect(plain.stdout).not.toContain('@example.com');
    // a tampered proof fails both ways
    const proof = JSON.parse(readFileSync(proofFile, 'utf8'));
    proof.change = proof.change.replace('"update"', '"delete"');
    const tampered = path.join(work, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(proof));
    const refused = cli('verify-proof', tampered, '--public-key', keyFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /verify-proof failed:\n {2}- change \d+ does not hash to any of the transaction's change hashes/,
    );
    expect(
      spawnSync(process.execPath, [script, tampered, publicKey.stdout.trim()], { encoding: 'utf8' }),
    ).toMatchObject({
      status: 1,
      stderr: 'FAILED: change altered\n',
    });
    // the package's own bin: nothing but the file and the key (no database, no app, no environment)
    const bin = path.join(ROOT, 'libs', 'proof', 'dist', 'verify-proof.bin.js');
    const alone = (file: string) =>
      spawnSync(process.execPath, [bin, file, '--public-key', keyFile], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
    expect(alone(proofFile)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^OK: seal #\d+ .* at 21 seals, as its signed checkpoint says\n$/),
    });
    expect(alone(tampered)).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^FAILED: change \d+ does not hash/),
    });
    // checked against another key: refused
    const otherKey = path.join(work, 'other.pem');
    writeFileSync(otherKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect(cli('verify-proof', proofFile, '--public-key', otherKey).code).toBe(1);
    // an export's manifest carries a checkpoint that signs the file's SHA-256: checked with the public key
    const exported = path.join(work, 'users.csv');
    expect(cli('export', '--format', 'csv', '--table', 'users', '--out', exported).code).toBe(0);
    const manifest = JSON.parse(readFileSync(`${exported}.manifest.json`, 'utf8'));
    expect(manifest.signed_checkpoint).toMatch(/\nexport-sha256 [0-9a-f]{64}\n\n\u2014 /u);
    const signedExport = cli('verify-export', exported, '--public-key', keyFile, '--json');
    expect(signedExport.code).toBe(0);
    expect(JSON.parse(signedExport.stdout)).toMatchObject({ ok: true, signed: true, chain: 'intact' });
    // rows edited and the manifest's hash recomputed to match: the signature still names the original file
    writeFileSync(
      exported,
      readFileSync(exported, 'utf8').replace('"update"', '"insert"').replace(',update,', ',insert,'),
    );
    const edited = readFileSync(exported);
    manifest.sha256 = createHash('sha256').update(edited).digest('hex');
    manifest.bytes = edited.length;
    writeFileSync(`${exported}.manifest.json`, JSON.stringify(manifest));
    const forgedExport = cli('verify-export', exported, '--public-key', keyFile);
    expect(forgedExport.code).toBe(1);
    expect(forgedExport.stderr).toContain('the signed checkpoint names another file');
    // the chain against the kept checkpoints: intact, then a sealed change edited by the owner
    const dir = env.THREADLINE_CHECKPOINT_DIR!;
    expect(readdirSync(dir)).toEqual(['000000000021.checkpoint']);
    const intact = cli('verify-integrity', '--checkpoints', dir, '--public-key', keyFile, '--json');
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, checkpointsChecked: 1 });
    await db.query(`UPDATE audit_changes SET data_after = '{}' WHERE id = ${change.id}`);
    const broken = cli('verify-integrity', '--checkpoints', dir, '--public-key', keyFile);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('sealed record problem(s)');
    expect(cli('verify-integrity', '--public-key', keyFile).stderr).toMatch(
      /^usage: verify-integrity --checkpoints <dir>/,
    );
    expect(cli('proof').stderr).toMatch(/^usage: proof --transaction <id> \| --change <id>/);
  });
});

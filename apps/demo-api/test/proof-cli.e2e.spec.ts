import { spawnSync } from 'child_process';
import { createHash, generateKeyPairSync } from 'crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';

const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The plain-Node check docs/trust.md shows, taken from the page as written. */
function documentedVerifier(): string {
  const page = readFileSync(path.join(ROOT, 'docs', 'trust.md'), 'utf8');
  const block = /```js\n(\/\/ verify-proof\.js[\s\S]*?)```/.exec(page);
  if (!block) throw new Error('docs/trust.md has no verify-proof.js block');
  return block[1];
}

describeOnOneMajor('checkpoints and proofs from the command line (spawned like `npm run cli -- ...`)', () => {
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

  it('checkpoint, public-key, proof, verify-proof (and the documented plain-Node check) and verify-integrity --checkpoints', async () => {
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
    // --json: the rows' numbers as stored (lossless), not as objects
    const asJson = cli('verify-proof', proofFile, '--public-key', keyFile, '--json');
    expect(asJson.stdout).not.toContain('isLosslessNumber');
    const checkedJson = JSON.parse(asJson.stdout);
    expect(checkedJson).toMatchObject({ ok: true, changeId: change.id });
    expect(checkedJson.change.slice(0, 3)).toEqual([Number(change.id), 'public', 'users']);
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
    writeFileSync(tampered, `${JSON.stringify(proof, null, 2)}\n`);
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
      // the content proved, as proved: the transaction row, then the change row
      stdout: expect.stringMatching(
        /^OK: seal #\d+ .* at 21 seals, as its signed checkpoint says\n {2}transaction: \["[0-9a-f-]{36}",.*\n {2}change: \[\d+,"public","users","update",.*\n$/,
      ),
    });
    // a key given twice, the second spelled with an escape: JSON.parse keeps the last (the real change),
    // a reader of the file sees the first (a forged one); refused by all three
    const twice = readFileSync(proofFile, 'utf8').replace(
      /\n {2}"change": ("(?:[^"\\]|\\.)*"),/,
      (line, value: string) =>
        `\n  "change": ${value.replace('\\"update\\"', '\\"delete\\"')},\n  "\\u0063hange": ${value},`,
    );
    expect(twice).toContain('\\u0063hange');
    expect(twice).toContain('\\"delete\\"');
    const dup = path.join(work, 'twice.json');
    writeFileSync(dup, twice);
    expect(cli('verify-proof', dup, '--public-key', keyFile)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("Duplicate key 'change'"),
    });
    expect(alone(dup)).toMatchObject({ status: 1, stderr: expect.stringContaining("Duplicate key 'change'") });
    expect(spawnSync(process.execPath, [script, dup, publicKey.stdout.trim()], { encoding: 'utf8' })).toMatchObject({
      status: 1,
      stderr: 'FAILED: malformed\n',
    });
    expect(alone(tampered)).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^FAILED: change \d+ does not hash/),
    });
    // the documented check and the bin agree, case by case (the attacker helper's list): every altered or
    // malformed file fails both, a witness's cosignature line beside the log's is read past by both
    const original = readFileSync(proofFile, 'utf8');
    const as = (edit: (p: Record<string, unknown>) => unknown) => {
      const copy = JSON.parse(original);
      return `${JSON.stringify(edit(copy) ?? copy, null, 2)}\n`;
    };
    const b64 = (t: unknown) => Buffer.from(String(t), 'base64');
    const sigLine = (id: string) =>
      `\u2014 ${publicKey.stdout.split('+')[0]} ${Buffer.concat([Buffer.from(id, 'hex'), Buffer.alloc(64)]).toString('base64')}\n`;
    const cases: [string, string, 0 | 1][] = [
      ['as written', original, 0],
      [
        'a witness cosigns too',
        as((p) => void (p.checkpoint += `\u2014 witness.example ${Buffer.alloc(68).toString('base64')}\n`)),
        0,
      ],
      ['change empty', as((p) => void (p.change = '')), 1],
      ['change null', as((p) => void (p.change = null)), 1],
      ['change as bytes', as((p) => void (p.change = [...Buffer.from(String(p.change))])), 1],
      ['seq as text', as((p) => void (p.seq = String(p.seq))), 1],
      ['seq 2.1e1', original.replace(/"seq": (\d+),/, (_, n) => `"seq": ${n}.0,`), 1],
      ['seq 0', as((p) => void (p.seq = 0)), 1],
      ['sealFormat "2"', as((p) => void (p.sealFormat = '2')), 1],
      [
        '5 bytes after the change hashes',
        as((p) => void (p.changeSha256 = Buffer.concat([b64(p.changeSha256), Buffer.alloc(5)]).toString('base64'))),
        1,
      ],
      [
        '5 bytes after the path',
        as((p) => void (p.inclusion = Buffer.concat([b64(p.inclusion), Buffer.alloc(5)]).toString('base64'))),
        1,
      ],
      [
        'whitespace in base64',
        as((p) => void (p.changeSha256 = `${String(p.changeSha256).slice(0, 10)} ${String(p.changeSha256).slice(10)}`)),
        1,
      ],
      ['base64url', as((p) => void (p.changeSha256 = b64(p.changeSha256).toString('base64url'))), 1],
      ['unpadded', as((p) => void (p.actionsSha256 = String(p.actionsSha256).replace(/=+$/, ''))), 1],
      ['data after the padding', as((p) => void (p.actionsSha256 = `${p.actionsSha256}AAAA`)), 1],
      [
        'checkpoint without its last newline',
        as((p) => void (p.checkpoint = String(p.checkpoint).replace(/\n$/, ''))),
        1,
      ],
      ['a garbage line after the signatures', as((p) => void (p.checkpoint += 'garbage\n')), 1],
      [
        'a signature line of another key id first',
        as((p) => void (p.checkpoint = String(p.checkpoint).replace('\n\n', `\n\n${sigLine('deadbeef')}`))),
        0,
      ],
      ['format missing', as((p) => void delete p.format), 1],
      ['a field beside the checked ones', as((p) => void (p.tableName = 'users')), 1],
      ['__proto__', original.replace('{\n', '{\n  "__proto__": {"change": "x"},\n'), 1],
      ['re-indented', JSON.stringify(JSON.parse(original)), 0],
      ['checkpoint as an array', as((p) => void (p.checkpoint = [p.checkpoint])), 1],
      ['an unpadded signature', as((p) => void (p.checkpoint = String(p.checkpoint).replace(/=\n$/, '\n'))), 1],
    ];
    for (const [label, text, holds] of cases) {
      const file = path.join(work, 'case.json');
      writeFileSync(file, text);
      const doc = spawnSync(process.execPath, [script, file, publicKey.stdout.trim()], { encoding: 'utf8' }).status;
      // the one difference, documented: the plain-Node check takes the file only as proof wrote it
      const expected = label === 're-indented' ? { bin: 0, doc: 1 } : { bin: holds, doc: holds };
      expect({ label, bin: alone(file).status, doc }).toEqual({ label, ...expected });
    }
    // checked against another key: refused
    const otherKey = path.join(work, 'other.key');
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
    // a verifier key of the same name for another key (c2sp.org/signed-note: id = SHA-256(name \n 0x01 key)[:4])
    const name = publicKey.stdout.split('+')[0];
    const raw = Buffer.concat([Buffer.from([1]), Buffer.from(other, 'base64url')]);
    const id = createHash('sha256').update(`${name}\n`).update(raw).digest().subarray(0, 4).toString('hex');
    const otherText = `${name}+${id}+${raw.toString('base64')}`;
    writeFileSync(otherKey, otherText);
    expect(cli('verify-proof', proofFile, '--public-key', otherKey)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`no signature by ${name}`),
    });
    // the log's own key as bare PEM names no log (a checkpoint of another log signed with it would pass): refused everywhere
    const pem = cli('public-key', '--pem');
    expect(pem.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const pemFile = path.join(work, 'verifier.pem');
    writeFileSync(pemFile, pem.stdout);
    for (const run of [
      cli('verify-proof', proofFile, '--public-key', pemFile),
      cli('verify-integrity', '--checkpoints', env.THREADLINE_CHECKPOINT_DIR!, '--public-key', pemFile),
    ])
      expect({ code: run.code, stderr: run.stderr }).toEqual({
        code: 1,
        stderr: expect.stringContaining('is a PEM key, which names no log'),
      });
    expect(
      spawnSync(process.execPath, [bin, proofFile, '--public-key', pemFile], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      }),
    ).toMatchObject({ status: 1, stderr: expect.stringContaining('names no log') });
    // an export's manifest carries a checkpoint that signs the file's SHA-256: checked with the public key
    const exported = path.join(work, 'users.csv');
    expect(cli('export', '--format', 'csv', '--table', 'users', '--out', exported).code).toBe(0);
    const manifest = JSON.parse(readFileSync(`${exported}.manifest.json`, 'utf8'));
    expect(manifest.signed_checkpoint).toMatch(/\nexport-sha256 [0-9a-f]{64}\n\n\u2014 /u);
    const signedExport = cli('verify-export', exported, '--public-key', keyFile, '--json');
    expect(signedExport.code).toBe(0);
    expect(JSON.parse(signedExport.stdout)).toMatchObject({ ok: true, signed: true, chain: 'intact' });
    expect(cli('verify-export', exported, '--public-key', pemFile)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is a PEM key, which names no log'),
    });
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
  }, 240_000); // about 20 app commands and 26 bin runs, each its own process: well over a minute on a loaded 2-core machine
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  auditSchemaSql,
  CaptureService,
  chainLinkText,
  changeDigestSql,
  ledgerHashSql,
  sealContentSql,
  ThreadlineCaptureModule,
} from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { createHash, createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import {
  CheckpointOptions,
  CheckpointService,
  IntegrityService,
  ProofFile,
  proofOptionsProblems,
  ProofService,
  readKeptCheckpoints,
  readVerifier,
  SignedCheckpoint,
  ThreadlineProofModule,
  verifyProof,
  verifyProofText,
} from '../src';
import { signNote } from '../src/signed-note';

async function write(url: string, n: number, prefix = 'p'): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let i = 0; i < n; i++)
      await client.query(
        `BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${i % 3}"}', true);
         INSERT INTO posts (title) VALUES ('${prefix}${i}'); UPDATE posts SET title = title || '!' WHERE id = (SELECT currval('posts_id_seq')); COMMIT`,
      );
  } finally {
    await client.end();
  }
}

/** A signed note's text (what its signatures cover). */
const p0 = (note: string) => note.slice(0, note.lastIndexOf('\n\n') + 1);

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('signed checkpoints kept outside the database, and offline proofs (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let dir: string;
  let keyFile: string;

  async function boot(checkpoints: Partial<CheckpointOptions> = {}): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineProofModule.forRoot({
          integrity: { sealEverySeconds: 0, checkpoints: { directory: dir, privateKeyFile: keyFile, ...checkpoints } },
        }),
      ],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    return created;
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'threadline-checkpoints-'));
    keyFile = path.join(dir, '..', `${path.basename(dir)}.pem`);
    writeFileSync(keyFile, pem(generateKeyPairSync('ed25519').privateKey));
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE posts (id serial PRIMARY KEY, title text)`);
    app = await boot();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['posts'] })).up);
    await write(db.url, 21);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(keyFile, { force: true });
  });

  const kept = async () => {
    const verifier = readVerifier(await app!.get(CheckpointService).publicKey(), 'the public key');
    return readKeptCheckpoints(dir, verifier);
  };

  /** As the owner (a superuser here): rewrite one sealed change, then re-seal and re-chain everything after it and rebuild the tree. */
  async function rewriteAndRechain(): Promise<void> {
    await db.query(
      `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{title}', '"forged"')
       WHERE id = (SELECT min(c.id) FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id WHERE s.seq = 3)`,
    );
    const seals = await db.query<{
      seq: string;
      transaction_id: string;
      format: number;
      change_count: number;
      content: Buffer;
    }>(
      `SELECT s.seq::text AS seq, s.transaction_id, s.format, s.change_count,
              (SELECT ${sealContentSql('public', 't', 2, 'd')} FROM audit_transactions t CROSS JOIN LATERAL ${changeDigestSql('public', 't.id')} AS d
               WHERE t.id = s.transaction_id) AS content
       FROM audit_seals s ORDER BY s.seq`,
    );
    let previous = Buffer.alloc(32);
    for (const s of seals) {
      const chain = createHash('sha256')
        .update(previous)
        .update(chainLinkText(Number(s.seq), s.transaction_id, s.format, s.change_count))
        .update(s.content)
        .digest();
      await db.query(`UPDATE audit_seals SET content_sha256 = $1, chain_sha256 = $2 WHERE seq = $3`, [
        s.content,
        chain,
        s.seq,
      ]);
      previous = chain;
    }
    await db.query(`DELETE FROM audit_seal_tree; SELECT threadline_tree_grow()`);
  }

  it('keeps a signed checkpoint per tree size in the directory, and the chain verifies against every one', async () => {
    const checkpoints = app!.get(CheckpointService);
    const first = await checkpoints.emit();
    expect(first.checkpoint.size).toBe(21);
    expect(first.path).toBe(path.join(dir, '000000000021.checkpoint'));
    expect(readFileSync(first.path!, 'utf8')).toBe(first.checkpoint.note);
    expect(first.checkpoint.note).toMatch(
      /^threadline\/\S+\n21\n[A-Za-z0-9+/]{43}=\ntime \S+Z\n\n\u2014 threadline\/\S+ [A-Za-z0-9+/=]+\n$/u,
    );
    // the same tree again: the same file, nothing rewritten
    expect((await checkpoints.emit()).path).toBe(first.path);
    await write(db.url, 14, 'q');
    await checkpoints.emit();
    const read = await kept();
    expect(read.problems).toEqual([]);
    expect(read.checkpoints.map((c) => c.size)).toEqual([21, 35]);
    const report = await app!.get(IntegrityService).verify({ checkpoints: read.checkpoints });
    expect(report).toMatchObject({ ok: true, checked: 35, checkpointsChecked: 2 });
  });

  it('a superuser who rewrites one sealed row and re-chains everything after it passes the chain, and fails against the kept checkpoints', async () => {
    const checkpoints = app!.get(CheckpointService);
    const integrity = app!.get(IntegrityService);
    await checkpoints.emit();
    await write(db.url, 14, 'q');
    await checkpoints.emit();
    await rewriteAndRechain();
    // consistent with itself: the chain alone cannot tell
    expect(await integrity.verify()).toMatchObject({ ok: true, checked: 35 });
    const read = await kept();
    const report = await integrity.verify({ checkpoints: read.checkpoints });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('the seals up to #21 no longer hash to the root of the signed checkpoint'),
      expect.stringContaining('the seals up to #35 no longer hash to the root of the signed checkpoint'),
      expect.stringContaining('the Merkle tree stored in the database gives another root at 21 seals'),
      expect.stringContaining('the Merkle tree stored in the database gives another root at 35 seals'),
      expect.stringContaining('the kept checkpoints at 21 and 35 seals are not consistent'),
    ]);
    // and a new checkpoint of that size is refused, never overwritten
    await expect(checkpoints.emit()).rejects.toThrow(
      /refusing to sign a checkpoint of 35 seals: .* does not extend the one signed at 35 seals/,
    );
  });

  it('refuses to sign a rewritten and re-chained log once it grew, so no proof of the forged row verifies', async () => {
    const checkpoints = app!.get(CheckpointService);
    await checkpoints.emit();
    await rewriteAndRechain();
    await write(db.url, 3, 'q');
    // the key is no oracle: the grown tree does not extend the signed one, so it is not signed
    await expect(checkpoints.emit()).rejects.toThrow(
      /refusing to sign a checkpoint of 24 seals: the database's tree does not extend the one signed at 21 seals/,
    );
    expect(readdirSync(dir).sort()).toEqual(['000000000021.checkpoint']);
    expect(checkpoints.status().failing?.message).toMatch(/refusing to sign/);
    // nor an export's checkpoint over the rewritten tree, at the signed size or any other
    await expect(checkpoints.signExport(21, 'ab'.repeat(32))).rejects.toThrow(/does not extend the one signed at 21/);
    await expect(checkpoints.signExport(10, 'ab'.repeat(32))).rejects.toThrow(/does not extend the one signed at 21/);
    // nor after the process restarts: the directory holds what was signed
    await app!.close();
    app = await boot();
    await expect(app.get(CheckpointService).emit()).rejects.toThrow(/does not extend the one signed at 21 seals/);
    const [change] = await db.query<{ id: string }>(
      `SELECT c.id::text FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id WHERE s.seq = 3 ORDER BY c.id LIMIT 1`,
    );
    await expect(app.get(ProofService).prove({ changeId: change.id })).rejects.toThrow(/does not hold/);
  });

  it("an export's checkpoint is kept first when the tree grew past the last one, so a later rewrite of what it signed is refused", async () => {
    const checkpoints = app!.get(CheckpointService);
    await checkpoints.emit();
    await write(db.url, 3, 'e');
    await app!.get(IntegrityService).seal();
    expect(await checkpoints.signExport(24, 'cd'.repeat(32))).toMatch(/\n24\n.*\nexport-sha256 c/su);
    expect(readdirSync(dir).sort()).toEqual(['000000000021.checkpoint', '000000000024.checkpoint']);
  });

  it('names a kept checkpoint altered or signed by another key, seals deleted past a checkpoint, and a stored tree node edited', async () => {
    const checkpoints = app!.get(CheckpointService);
    await write(db.url, 11, 'q');
    const { path: file } = await checkpoints.emit();
    const note = readFileSync(file!, 'utf8');
    writeFileSync(path.join(dir, '000000000031.checkpoint'), note.replace('\n32\n', '\n31\n'));
    const other = generateKeyPairSync('ed25519').privateKey;
    const origin = note.split('\n')[0];
    writeFileSync(
      path.join(dir, '000000000030.checkpoint'),
      signNote(note.split('\n\n')[0].replace('\n32\n', '\n30\n') + '\n', origin, other),
    );
    // a FIFO and a symlink to a device: named, never read (reading them would hang or flood the check)
    execFileSync('mkfifo', [path.join(dir, '000000000028.checkpoint')]);
    symlinkSync('/dev/zero', path.join(dir, '000000000029.checkpoint'));
    // an old checkpoint copied under a newer size's name: not taken as that size
    writeFileSync(path.join(dir, '000000000040.checkpoint'), note);
    const read = await kept();
    expect(read.problems).toEqual([
      expect.stringMatching(/000000000028\.checkpoint is not a regular file/),
      expect.stringMatching(/000000000029\.checkpoint is not a regular file/),
      expect.stringMatching(/000000000030\.checkpoint is not a checkpoint signed by that key: no signature by/),
      expect.stringMatching(
        /000000000031\.checkpoint is not a checkpoint signed by that key: the signature of .* does not verify/,
      ),
      expect.stringMatching(/000000000040\.checkpoint holds the checkpoint of 32 seals under another size's name/),
    ]);
    // and signing goes on past them
    await write(db.url, 1, 'r');
    expect((await checkpoints.emit()).checkpoint.size).toBe(33);
    await db.query(`UPDATE audit_seal_tree SET hash = sha256(hash) WHERE level = 4 AND idx = 1`);
    let report = await app!.get(IntegrityService).verify({ checkpoints: read.checkpoints });
    expect(report.problems.map((p) => p.message)).toEqual([
      expect.stringContaining(
        'the Merkle tree stored in the database differs from the seals at node 4/1 (seals #17 to #32)',
      ),
    ]);
    await db.query(`DELETE FROM audit_seal_tree; SELECT threadline_tree_grow()`);
    // the last three transactions and their seals deleted, as the owner can
    await db.query(`CREATE TEMP TABLE last3 AS SELECT transaction_id AS id FROM audit_seals WHERE seq >= 30;
      DELETE FROM audit_changes WHERE transaction_id IN (SELECT id FROM last3);
      DELETE FROM audit_transactions WHERE id IN (SELECT id FROM last3);
      DELETE FROM audit_seals WHERE seq >= 30`);
    report = await app!.get(IntegrityService).verify({ checkpoints: read.checkpoints });
    expect(report.problems.map((p) => p.message)).toContainEqual(
      expect.stringContaining('covers 32 seals but the chain has 29: seals were deleted'),
    );
  });

  it('checks an idle log at each tick: a rewrite that rebuilt the tree, with no new seal, turns it failing', async () => {
    const checkpoints = app!.get(CheckpointService);
    await checkpoints.emit();
    await checkpoints.tick();
    expect(checkpoints.status()).toMatchObject({ failing: null, last: { size: 21 } });
    await rewriteAndRechain();
    await checkpoints.tick();
    expect(checkpoints.status().failing).toMatchObject({
      message: expect.stringContaining('does not extend the one signed at 21 seals'),
    });
    // and stays so: the next tick retries, and refuses to sign the rewritten tree
    await checkpoints.tick();
    expect(checkpoints.status()).toMatchObject({ failing: expect.anything(), last: { size: 21 } });
  });

  it('checks an idle log cut back at its end: the newest seals deleted, with no new seal, turn it failing (after a restart too)', async () => {
    await app!.get(CheckpointService).emit();
    // a new process: it has signed nothing itself, and reads the newest kept checkpoint once
    await app!.close();
    app = await boot();
    const checkpoints = app.get(CheckpointService);
    await checkpoints.tick();
    expect(checkpoints.status().failing).toBeNull();
    await db.query(`CREATE TEMP TABLE newest AS SELECT transaction_id AS id FROM audit_seals WHERE seq >= 20;
      DELETE FROM audit_changes WHERE transaction_id IN (SELECT id FROM newest);
      DELETE FROM audit_transactions WHERE id IN (SELECT id FROM newest);
      DELETE FROM audit_seals WHERE seq >= 20; DELETE FROM audit_seal_tree WHERE (idx + 1) * 2 ^ level > 19`);
    await checkpoints.tick();
    expect(checkpoints.status().failing).toMatchObject({ message: expect.stringContaining('signed at 21 seals') });
  });

  it('refuses a proof whose text holds a lone surrogate where the stored value holds U+FFFD (it would hash the same)', async () => {
    await db.query(`INSERT INTO posts (title) VALUES ('replacement \uFFFD character')`);
    const [change] = await db.query<{ id: string }>(`SELECT max(id)::text AS id FROM audit_changes`);
    const proof = await app!.get(ProofService).prove({ changeId: change.id });
    const verifier = readVerifier(await app!.get(CheckpointService).publicKey(), 'key');
    const text = JSON.stringify(proof, null, 2);
    expect(verifyProofText(text, verifier)).toMatchObject({ ok: true });
    const lone = text.replace('\uFFFD', '\\udfff');
    expect(lone).not.toEqual(text);
    expect(verifyProofText(lone, verifier)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('change holds a lone surrogate'),
    });
  });

  it('proves one change offline: under 2 KB, checked with the public key alone; a tampered proof, a forged checkpoint and a purged change are refused', async () => {
    const proofs = app!.get(ProofService);
    const [change] = await db.query<{ id: string; transaction_id: string }>(
      `SELECT id::text, transaction_id FROM audit_changes ORDER BY id LIMIT 1 OFFSET 10`,
    );
    const proof = await proofs.prove({ changeId: change.id });
    expect(Buffer.byteLength(`${JSON.stringify(proof, null, 2)}\n`)).toBeLessThan(2048);
    const verifier = readVerifier(await app!.get(CheckpointService).publicKey(), 'key');
    const checked = verifyProof(JSON.parse(JSON.stringify(proof)), verifier);
    expect(checked).toMatchObject({
      ok: true,
      seq: expect.any(Number),
      changeId: change.id,
      transactionId: change.transaction_id,
    });
    expect(checked.ok && checked.change?.[6]).toEqual({
      id: expect.objectContaining({ isLosslessNumber: true }),
      title: expect.stringMatching(/^p\d+$/),
    });
    // tampered: the change's text, the path, the claimed size
    const tamper = (edit: (p: typeof proof) => void) => {
      const copy = JSON.parse(JSON.stringify(proof));
      edit(copy);
      return verifyProof(copy, verifier);
    };
    expect(tamper((p) => (p.change = p.change!.replace(/"p(\d+)"/, '"forged"')))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('does not hash to any of the transaction'),
    });
    const zeroFirst = (text: string) => {
      const bytes = Buffer.from(text, 'base64');
      bytes.fill(0, 0, 32);
      return bytes.toString('base64');
    };
    for (const edit of [
      (p: ProofFile) => (p.inclusion = zeroFirst(p.inclusion)),
      (p: ProofFile) => (p.changeSha256 = zeroFirst(p.changeSha256)),
      (p: ProofFile) => (p.actionsSha256 = zeroFirst(p.actionsSha256)),
      (p: ProofFile) => (p.transaction = p.transaction.replace('"u', '"x')),
      (p: ProofFile) => (p.seq += 1),
      (p: ProofFile) => (p.sealFormat = 3),
    ])
      expect(tamper(edit)).toMatchObject({
        ok: false,
        problem: expect.stringMatching(
          /does not lead along the inclusion path|hashed value by value|does not hash to any/,
        ),
      });
    // malformed fields: named, never thrown
    for (const [edit, named] of [
      [(p: ProofFile) => (p.inclusion = 'x'), 'inclusion must be standard base64'],
      [(p: ProofFile) => (p.inclusion = p.inclusion.slice(0, -4)), 'inclusion holds'],
      [(p: ProofFile) => (p.changeSha256 = [] as never), 'changeSha256 must be standard base64'],
      [
        (p: ProofFile) => (p.actionsSha256 = Buffer.alloc(64).toString('base64')),
        'actionsSha256 must be one SHA-256 hash',
      ],
      [(p: ProofFile) => (p.seq = '3' as never), 'seq must be a seal number'],
      [(p: ProofFile) => (p.transaction = '{}'), 'transaction must be a canonical row text'],
      [(p: ProofFile) => (p.change = 'not json'), 'change must be a canonical row text'],
    ] as const)
      expect(tamper(edit)).toMatchObject({ ok: false, problem: expect.stringContaining(named) });
    // non-canonical base64 (unused bits set, padding dropped): one proof, one spelling
    const flipLast = (t: string) => t.slice(0, -2) + String.fromCharCode(t.charCodeAt(t.length - 2) + 1) + t.slice(-1);
    expect(tamper((p) => (p.actionsSha256 = flipLast(p.actionsSha256)))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('actionsSha256 must be standard base64'),
    });
    // the same key, another log: a checkpoint of another origin signed with this log's key is refused
    const keyPem = readFileSync(keyFile, 'utf8');
    const body = p0(proof.checkpoint).replace(/^[^\n]+/, 'threadline/another_log');
    expect(
      tamper((p) => (p.checkpoint = signNote(body, 'threadline/another_log', createPrivateKey(keyPem)))),
    ).toMatchObject({ ok: false, problem: expect.stringContaining('no signature by') });
    // the file's text: a key given twice is refused, escaped or not
    const text = JSON.stringify(proof, null, 2);
    const twice = text.replace('"format":', '"\\u0066ormat": "x",\n  "format":');
    expect(verifyProofText(text, verifier)).toMatchObject({ ok: true });
    expect(verifyProofText(twice, verifier)).toMatchObject({
      ok: false,
      problem: expect.stringContaining("Duplicate key 'format'"),
    });
    // a checkpoint signed by another key under the same name
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = tamper(
      (p: ProofFile) =>
        (p.checkpoint = signNote(p.checkpoint.split('\n\n')[0] + '\n', p.checkpoint.split('\n')[0], other)),
    );
    expect(forged).toMatchObject({ ok: false, problem: expect.stringContaining('no signature by') });
    // the whole transaction, and a purged change
    expect(verifyProof(await proofs.prove({ transactionId: change.transaction_id }), verifier)).toMatchObject({
      ok: true,
    });
    await db.query(`CREATE TEMP TABLE gone (r jsonb);
      WITH d AS (DELETE FROM audit_changes c WHERE c.id = ${change.id}
        RETURNING jsonb_build_array(c.id::text, c.transaction_id, encode(${ledgerHashSql('public', 'c')}, 'hex')) AS r)
      INSERT INTO gone SELECT r FROM d;
      SELECT threadline_record_purge((SELECT jsonb_agg(r) FROM gone), '{}')`);
    await expect(proofs.prove({ changeId: change.id })).rejects.toThrow(/was purged by retention \(purge record #22\)/);
    // the kept checkpoint still verifies what remains: the purged change's leaf stays, its payload went
    expect(await app!.get(IntegrityService).verify({ checkpoints: (await kept()).checkpoints })).toMatchObject({
      ok: true,
      purged: 1,
      checkpointsChecked: 1,
    });
    // its transaction is still proved: the purged change's hash stands in for it
    expect(verifyProof(await proofs.prove({ transactionId: change.transaction_id }), verifier)).toMatchObject({
      ok: true,
    });
    await expect(proofs.prove({ changeId: '0' })).rejects.toThrow(/a change id is a positive whole number/);
    await expect(proofs.prove({ changeId: '999999' })).rejects.toThrow(/there is no change 999999/);
  });

  // 64 x 1,563 transactions (100,032) once, on the embedded pass; 64 x 8 on the pass against another major
  const PER_WRITER = process.env.TEST_DATABASE_URL ? 8 : 1563;

  it(`64 concurrent writers, two sealers and checkpoints on the way give one tree over ${64 * PER_WRITER} transactions; a sealer killed mid-run leaves no gap`, async () => {
    const checkpoints = app!.get(CheckpointService);
    const integrity = app!.get(IntegrityService);
    let writing = true;
    const sealers = [0, 1].map(async () => {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      while (writing) await c.query(`SELECT * FROM threadline_seal(50)`);
      await c.end();
    });
    const emitter = (async () => {
      while (writing) {
        await checkpoints.emit();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await Promise.all(Array.from({ length: 64 }, (_, w) => write(db.url, PER_WRITER, `w${w}-`)));
    writing = false;
    await Promise.all([...sealers, emitter]);
    // a sealer killed before it committed: its seals and tree rows roll back with it
    await write(db.url, 40, 'k');
    const victim = new Client({ connectionString: db.url });
    await victim.connect();
    victim.on('error', () => undefined);
    await victim.query(`BEGIN; SELECT * FROM threadline_seal(20)`);
    const [{ pid }] = await victim.query(`SELECT pg_backend_pid() AS pid`).then((r) => r.rows);
    await db.query(`SELECT pg_terminate_backend(${pid})`);
    await checkpoints.emit();
    const read = await kept();
    expect(read.problems).toEqual([]);
    expect(read.checkpoints.length).toBeGreaterThan(1);
    const report = await integrity.verify({ checkpoints: read.checkpoints });
    expect(report).toMatchObject({ ok: true, checked: 21 + 64 * PER_WRITER + 40, problemCount: 0 });
    expect(await db.query(`SELECT count(*)::int AS n FROM audit_seal_tree WHERE level = 4`)).toEqual([
      { n: Math.floor((21 + 64 * PER_WRITER + 40) / 16) },
    ]);
  }, 600_000);

  it('a sink that fails is reported and retried, never ends the process; writes go on meanwhile', async () => {
    await app!.close();
    let fail = true;
    const taken: SignedCheckpoint[] = [];
    app = await boot({
      sink: (c: SignedCheckpoint) => {
        if (fail) throw new Error('bucket unavailable');
        taken.push(c);
      },
    });
    const checkpoints = app.get(CheckpointService);
    await checkpoints.tick();
    expect(checkpoints.status().failing).toMatchObject({ message: 'bucket unavailable' });
    await write(db.url, 2, 'w');
    fail = false;
    await checkpoints.tick();
    expect(checkpoints.status()).toMatchObject({ failing: null, last: { size: 23 } });
    expect(taken.map((c) => c.size)).toEqual([23]);
    // a sink that never answers: failing after its timeout, and the next checkpoint is not held behind it
    await app.close();
    let answer = false;
    app = await boot({
      sinkTimeoutSeconds: 1,
      sink: () => (answer ? undefined : new Promise(() => undefined)),
    });
    await expect(app.get(CheckpointService).emit()).rejects.toThrow(/did not take the checkpoint within 1 s/);
    answer = true;
    await app.get(CheckpointService).tick();
    expect(app.get(CheckpointService).status()).toMatchObject({ failing: null, last: { size: 23 } });
    // a file stream on a full disk: its 'error' comes after the write's callback, as the stream closes
    await app.close();
    app = await boot({ sink: createWriteStream('/dev/full') });
    await expect(app.get(CheckpointService).emit()).rejects.toThrow(/ENOSPC/);
    await new Promise((r) => setTimeout(r, 200));
    expect(app.get(CheckpointService).status().failing).toMatchObject({ message: expect.stringContaining('ENOSPC') });
    // a stream that errors: reported, the process goes on
    await app.close();
    const broken = new Writable({ write: (_chunk, _enc, done) => done(new Error('ENOSPC: no space left on device')) });
    app = await boot({ sink: broken });
    await expect(app.get(CheckpointService).emit()).rejects.toThrow(/ENOSPC/);
    expect(app.get(CheckpointService).status().failing).toMatchObject({ message: expect.stringContaining('ENOSPC') });
  });

  it('refuses checkpoint options that cannot work, at boot, naming each', () => {
    const problems = proofOptionsProblems({
      integrity: { checkpoints: { privateKeyFile: '/nonexistent/key.pem', origin: 'has space', everySeconds: 0 } },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^proof\.integrity\.checkpoints needs somewhere outside the database/),
      expect.stringMatching(
        /^proof\.integrity\.checkpoints\.privateKeyFile: \/nonexistent\/key\.pem cannot be read as a key/,
      ),
      expect.stringMatching(/^proof\.integrity\.checkpoints\.origin must be a name without spaces/),
      expect.stringMatching(/^proof\.integrity\.checkpoints\.everySeconds must be a whole number from 1 to 86400/),
    ]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(proofOptionsProblems({ integrity: { checkpoints: { directory: dir, privateKey: pem(rsa) } } })).toEqual([
      expect.stringMatching(/privateKey: the checkpoint key is a rsa key; checkpoints are signed with Ed25519/),
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

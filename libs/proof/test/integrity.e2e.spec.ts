import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  auditSchemaSql,
  CaptureService,
  ledgerHashSql,
  sealContentForSql,
  ThreadlineCaptureModule,
  verifyDigestSql,
} from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { writeAuditedPosts as write } from '@threadline/testing/audited-posts';
import { Client } from 'pg';
import {
  IntegrityError,
  IntegrityReport,
  IntegrityService,
  proofOptionsProblems,
  ProofOptions,
  ThreadlineProofModule,
} from '../src';

describe('tamper evidence: sealing and verify-integrity (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let integrity: IntegrityService;

  async function boot(extra?: Record<string, unknown>, proof: ProofOptions = {}): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0, extra }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineProofModule.forRoot(proof),
      ],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    return created;
  }

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE posts (id serial PRIMARY KEY, title text)`);
    app = await boot();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['posts'] })).up);
    integrity = app.get(IntegrityService);
    await write(db.url, 5);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  const firstProblem = (r: IntegrityReport) => r.problems[0];
  const sealedTransaction = async (seq: number) =>
    (await db.query<{ id: string }>(`SELECT transaction_id AS id FROM audit_seals WHERE seq = ${seq}`))[0].id;

  it('seals what committed before the check and finds an untouched log intact', async () => {
    const report = await integrity.verify();
    expect(report).toMatchObject({ ok: true, sealedNow: 5, checked: 5, problemCount: 0, checkpoint: null });
    expect(report.head).toMatchObject({ seq: 5 });
    expect(report.head!.chainSha256).toMatch(/^[0-9a-f]{64}$/);
    await write(db.url, 2, 'q');
    expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 2, checked: 7 });
  });

  it('checks only what was sealed after a kept head, and finds the chain rewritten before it by the owner', async () => {
    const first = await integrity.verify();
    const kept = first.head!;
    await write(db.url, 3, 'later');
    const incremental = await integrity.verify({ afterHead: kept });
    expect(incremental).toMatchObject({
      ok: true,
      sealedNow: 3,
      checked: 4,
      afterHead: { seq: kept.seq, chainSha256: kept.chainSha256 },
      head: { seq: 8 },
    });
    // a change of the kept head's own transaction, altered: found
    const [atHead] = await db.query<{ id: string }>(
      `SELECT c.id FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id WHERE s.seq = 5`,
    );
    await db.query(`UPDATE audit_changes SET data_after = '{"title": "at the head"}' WHERE id = $1`, [atHead.id]);
    expect(firstProblem(await integrity.verify({ afterHead: kept }))).toMatchObject({ kind: 'altered', seq: 5 });
    // a change sealed after the kept head, altered: found
    const [late] = await db.query<{ id: string }>(
      `SELECT c.id FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id WHERE s.seq = 7`,
    );
    await db.query(`UPDATE audit_changes SET data_after = '{"title": "forged"}' WHERE id = $1`, [late.id]);
    expect((await integrity.verify({ afterHead: kept })).problems.map((p) => [p.kind, p.seq])).toEqual([
      ['altered', 5],
      ['altered', 7],
    ]);
    // the owner rewrites a change sealed before the head and seals everything again: a full check passes
    // (the chain is consistent with itself), the kept head does not
    await db.query(`UPDATE audit_changes SET data_after = '{"title": "history rewritten"}'
                    WHERE transaction_id = (SELECT transaction_id FROM audit_seals WHERE seq = 2)`);
    await db.query(`DELETE FROM audit_seals; SELECT threadline_seal()`);
    expect(await integrity.verify()).toMatchObject({ ok: true });
    const anchored = await integrity.verify({ afterHead: kept });
    expect(anchored.ok).toBe(false);
    expect(firstProblem(anchored)).toMatchObject({ kind: 'altered', seq: 5 });
    expect(firstProblem(anchored).message).toContain('no longer has the chain hash you kept');
    // a decoy: the primary key dropped, and the old seal put back beside the new one at the kept number
    await db.query(
      `ALTER TABLE audit_seals DROP CONSTRAINT audit_seals_pkey, DROP CONSTRAINT audit_seals_transaction_id_key`,
    );
    await db.query(`INSERT INTO audit_seals SELECT * FROM audit_seals WHERE seq = 5`);
    await db.query(
      `UPDATE audit_seals SET chain_sha256 = decode($1, 'hex') WHERE ctid = (SELECT max(ctid) FROM audit_seals WHERE seq = 5)`,
      [kept.chainSha256],
    );
    const decoy = await integrity.verify({ afterHead: kept });
    expect(decoy.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('appears 2 times'),
        expect.stringContaining('appears more than once'),
      ]),
    );
    expect((await integrity.verify()).ok).toBe(false);
    // a head past the chain's end, or from another database
    const past = await integrity.verify({ afterHead: { seq: 99, chainSha256: kept.chainSha256 } });
    expect(firstProblem(past).message).toContain('seal #99, the head you kept, is not in the chain');
    // bad input says what is allowed
    await expect(integrity.verify({ afterHead: { seq: 0, chainSha256: 'abc' } })).rejects.toThrow(
      /a kept head is <seal number>:<chain sha256, 64 hex digits>/,
    );
    await expect(integrity.verify({ afterHead: kept, from: '2026-01-01' })).rejects.toThrow(/cannot be combined/);
  });

  it("from a kept head, recomputes the head's own link: a forged transaction with a matching content hash is found", async () => {
    const { head: kept } = await integrity.verify();
    // the owner forges the head's transaction and writes the content hash that matches it, keeping the chain hash
    await db.query(`UPDATE audit_changes SET data_after = '{"title": "forged at the head"}'
                    WHERE transaction_id = (SELECT transaction_id FROM audit_seals WHERE seq = ${kept!.seq})`);
    await db.query(`UPDATE audit_seals AS s SET content_sha256 = x.content
      FROM (SELECT s2.seq, ${sealContentForSql('public', 's2', 't', 'd')} AS content
            FROM audit_seals AS s2 JOIN audit_transactions AS t ON t.id = s2.transaction_id
            CROSS JOIN LATERAL ${verifyDigestSql('public', 's2.transaction_id', 's2.seq', 's2.format')} AS d
            WHERE s2.seq = ${kept!.seq}) AS x
      WHERE s.seq = x.seq`);
    const report = await integrity.verify({ afterHead: kept! });
    expect(report.ok).toBe(false);
    expect(firstProblem(report)).toMatchObject({ kind: 'altered', seq: kept!.seq });
    expect(firstProblem(report).message).toContain('chain link does not match');
  });

  it('does not depend on the session time zone or date style of the sealer or the checker', async () => {
    await integrity.seal();
    await app!.close();
    app = await boot({ options: '-c TimeZone=Asia/Kolkata -c DateStyle=German,DMY' });
    const report = await app.get(IntegrityService).verify();
    expect(report).toMatchObject({ ok: true, checked: 5 });
    // the report's times are ISO 8601 UTC with microseconds, not the session's text format (German: 30.11.2026 19:50:11.123456 IST)
    const [stored] = await db.query<{ iso: string }>(
      `SELECT to_char(sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS iso FROM audit_seals WHERE seq = 5`,
    );
    expect(report.head!.sealedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(report.head!.sealedAt).toBe(stored.iso);
  });

  it('names a change altered after sealing', async () => {
    await integrity.seal();
    const tx = await sealedTransaction(3);
    await db.query(
      `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{title}', '"forged"') WHERE id = (SELECT min(id) FROM audit_changes WHERE transaction_id = '${tx}')`,
    );
    const report = await integrity.verify();
    expect(report.ok).toBe(false);
    expect(firstProblem(report)).toMatchObject({ kind: 'altered', seq: 3, transactionId: tx });
    expect(firstProblem(report).message).toContain(`transaction ${tx} (seal #3) was altered after sealing`);
    expect(report.problemCount).toBe(1);
  });

  it.each([
    [
      'the actor of a transaction',
      `UPDATE audit_transactions SET actor_ref = '{"type":"admin","id":"cfo"}' WHERE id = $TX`,
    ],
    [
      'the reason of its action',
      `UPDATE audit_actions SET reason = 'none' WHERE id = (SELECT action_id FROM audit_transactions WHERE id = $TX)`,
    ],
    [
      'the time of a change',
      `UPDATE audit_changes SET captured_at = captured_at - interval '1 day' WHERE transaction_id = $TX`,
    ],
  ])('names a transaction whose %s was altered', async (_what, sql) => {
    await integrity.seal();
    const tx = await sealedTransaction(1);
    await db.query(sql.replace('$TX', `'${tx}'`));
    const report = await integrity.verify();
    expect(firstProblem(report)).toMatchObject({ kind: 'altered', seq: 1, transactionId: tx });
  });

  it('names a change deleted after sealing, and one inserted into a sealed transaction', async () => {
    await integrity.seal();
    const deletedFrom = await sealedTransaction(2);
    const insertedInto = await sealedTransaction(4);
    await db.query(
      `DELETE FROM audit_changes WHERE id = (SELECT max(id) FROM audit_changes WHERE transaction_id = '${deletedFrom}')`,
    );
    // filed under its transaction's start, as a careful forger would (else it is also reported as moved)
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, transaction_occurred_at)
                    SELECT id, 'public', 'posts', 'insert', '{"id": 99}', '{"id": 99, "title": "forged"}', occurred_at
                    FROM audit_transactions WHERE id = '${insertedInto}'`);
    const report = await integrity.verify();
    expect(report.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['deleted', 2],
      ['inserted', 4],
    ]);
    expect(report.problems[0].message).toContain('1 change(s) deleted after sealing (2 sealed, 1 now)');
    expect(report.problems[1].message).toContain('1 change(s) inserted after sealing (2 sealed, 3 now)');
  });

  it('names a transaction deleted after sealing, a seal deleted from the chain, and an altered seal', async () => {
    await integrity.seal();
    const gone = await sealedTransaction(2);
    await db.query(
      `DELETE FROM audit_changes WHERE transaction_id = '${gone}'; DELETE FROM audit_transactions WHERE id = '${gone}'`,
    );
    await db.query(`DELETE FROM audit_seals WHERE seq = 4`);
    await db.query(`UPDATE audit_seals SET content_sha256 = sha256('x') WHERE seq = 1`);
    const report = await integrity.verify();
    expect(report.problems.map((p) => `${p.kind}:${p.seq}`)).toEqual([
      'altered:1',
      'altered:1',
      'deleted:2',
      'deleted:4',
      'inserted:undefined',
    ]);
    expect(report.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('seal #1 (transaction'),
      expect.stringContaining('(seal #1) was altered after sealing'),
      `transaction ${gone} (seal #2) was deleted after sealing`,
      'seal #4 was deleted from the chain',
      expect.stringMatching(/has no seal though the sealer has passed it: inserted after sealing, or its seal deleted/),
    ]);
  });

  it('names a transaction inserted after sealing with a back-dated txid, and a change of no transaction', async () => {
    await integrity.seal();
    await db.query(
      `INSERT INTO audit_transactions (txid, actor_ref, occurred_at) VALUES (3, '{"type":"admin","id":"cfo"}', now() - interval '1 year')`,
    );
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk)
                    VALUES (gen_random_uuid(), 'public', 'posts', 'delete', '{"id": 1}')`);
    const report = await integrity.verify();
    expect(report.problems.map((p) => p.kind)).toEqual(['inserted', 'inserted']);
    expect(report.problems[0].message).toMatch(/transaction .* has no seal .*: inserted after sealing/);
    expect(report.problems[1].message).toMatch(/change \d+ belongs to no audit transaction/);
  });

  it('keeps the chain whole with 8 clients writing while sealers run', async () => {
    let sealing = true;
    const sealers = [0, 1].map(async () => {
      while (sealing) await integrity.seal();
    });
    await Promise.all(Array.from({ length: 8 }, (_, i) => write(db.url, 25, `c${i}-`)));
    sealing = false;
    await Promise.all(sealers);
    const report = await integrity.verify();
    expect(report).toMatchObject({ ok: true, checked: 5 + 8 * 25 });
    const [counts] = await db.query<{ transactions: string; seals: string; uniq: string }>(
      `SELECT (SELECT count(*) FROM audit_transactions) AS transactions, count(*) AS seals, count(DISTINCT transaction_id) AS uniq FROM audit_seals`,
    );
    expect(counts).toEqual({ transactions: '205', seals: '205', uniq: '205' });
  });

  it('checks only seals made in [from, to), linking to the seal before', async () => {
    await integrity.seal();
    const [{ at }] = await db.query<{ at: string }>(`SELECT clock_timestamp()::text AS at`);
    await write(db.url, 3, 'late');
    await integrity.seal();
    const iso = new Date(at).toISOString();
    expect(await integrity.verify({ from: iso })).toMatchObject({ ok: true, checked: 3 });
    expect(await integrity.verify({ to: iso })).toMatchObject({ ok: true, checked: 5 });
    await expect(integrity.verify({ from: '2026-02-30' })).rejects.toThrow(IntegrityError);
    await expect(integrity.verify({ to: 'yesterday' })).rejects.toThrow(/to must be an ISO 8601 date/);
  });

  it('seals on its own every sealEverySeconds', async () => {
    await app!.close();
    app = await boot(undefined, { integrity: { sealEverySeconds: 1 } });
    const seals = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_seals`))[0].n);
    for (let i = 0; i < 50 && (await seals()) < 5; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await seals()).toBe(5);
  });

  it.each([12, 120])(
    'reports the highest seal as the head with %i seals (by number, not text: #9 sorts after #12 as text)',
    async (total) => {
      await write(db.url, total - 5, 'n');
      const report = await integrity.verify();
      expect(report).toMatchObject({ ok: true, checked: total, head: { seq: total } });
      const [last] = await db.query<{ chain: string }>(
        `SELECT encode(chain_sha256, 'hex') AS chain FROM audit_seals WHERE seq = ${total}`,
      );
      expect(report.head!.chainSha256).toBe(last.chain);
      // an owner who rewrites the last seals changes the head a kept copy is compared with
      await db.query(`UPDATE audit_seals SET chain_sha256 = sha256(chain_sha256) WHERE seq >= 10`);
      const rewritten = await integrity.verify();
      expect(rewritten.ok).toBe(false);
      expect(rewritten.head!.chainSha256).not.toBe(last.chain);
    },
  );

  it('seals an action recorded without an audited write, and names it when it is altered or deleted', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(
        `SELECT * FROM threadline_record_action('report.viewed', '{"type":"user","id":"u7"}', 'ok', NULL, NULL, 'audit request', NULL, NULL, NULL, NULL)`,
      );
      await client.query('BEGIN');
      await client.query(
        `SELECT * FROM threadline_record_action('export.downloaded', '{"type":"user","id":"u8"}', 'ok', NULL, NULL, 'month end', NULL, NULL, NULL, NULL)`,
      );
      await client.query(
        `SELECT * FROM threadline_record_action('export.shared', '{"type":"user","id":"u8"}', 'ok', NULL, NULL, 'with the auditor', NULL, NULL, NULL, NULL)`,
      );
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 7, checked: 7 });
    const [viewed] = await db.query<{ tx: string }>(
      `SELECT transaction_id AS tx FROM audit_actions WHERE name = 'report.viewed'`,
    );
    await db.query(`UPDATE audit_actions SET reason = 'nothing to see' WHERE name = 'report.viewed'`);
    // the first of two actions in one transaction: the transaction row links only the last
    await db.query(`DELETE FROM audit_actions WHERE name = 'export.downloaded'`);
    const report = await integrity.verify();
    expect(report.problems.map((p) => p.kind)).toEqual(['altered', 'altered']);
    expect(report.problems[0].transactionId).toBe(viewed.tx);
  });

  it('excuses exactly what a purge recorded: what remains is still recomputed, and an edit anywhere is reported', async () => {
    await write(db.url, 5, 'more');
    await integrity.seal();
    // A purge batch as retention runs it (as the owner): one change of seal #2 removed (its transaction
    // remains), and seal #3's transaction removed whole; the ledger and a purge seal record exactly that.
    const partly = await sealedTransaction(2);
    const whole = await sealedTransaction(3);
    await db.query(`CREATE TEMP TABLE gone (r jsonb);
      WITH d AS (
        DELETE FROM audit_changes c WHERE c.id = (SELECT max(id) FROM audit_changes WHERE transaction_id = '${partly}')
           OR c.transaction_id = '${whole}'
        RETURNING jsonb_build_array(c.id::text, c.transaction_id, encode(${ledgerHashSql('public', 'c')}, 'hex')) AS r)
      INSERT INTO gone SELECT r FROM d;
      DELETE FROM audit_transactions WHERE id = '${whole}';
      SELECT threadline_record_purge((SELECT jsonb_agg(r) FROM gone), ARRAY['${whole}'::uuid])`);
    expect(await integrity.verify()).toMatchObject({ ok: true, checked: 11, purged: 2, problemCount: 0 });
    // what remains of the partly purged transaction is still checked
    await db.query(
      `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{title}', '"forged"') WHERE transaction_id = '${partly}'`,
    );
    const edited = await integrity.verify();
    expect(edited.problems).toEqual([expect.objectContaining({ kind: 'altered', seq: 2, transactionId: partly })]);
  });

  it('does not let a hand-made checkpoint or ledger row excuse a deletion, nor an altered purge record pass', async () => {
    await integrity.seal();
    const victim = await sealedTransaction(4);
    await db.query(`DELETE FROM audit_changes WHERE id = (SELECT max(id) FROM audit_changes WHERE transaction_id = '${victim}');
      INSERT INTO audit_seal_checkpoints (seq, chain_sha256, reason) SELECT seq, chain_sha256, 'by hand' FROM audit_seals WHERE seq = 5`);
    expect((await integrity.verify()).problems.map((p) => `${p.kind}:${p.seq}`)).toEqual(['deleted:4']);
    // a ledger row under a purge that does not exist
    await db.query(
      `INSERT INTO audit_purged (purge_seq, seal_seq, change_id, change_sha256) SELECT 99, 4, max(id) + 1, sha256('x') FROM audit_changes`,
    );
    expect((await integrity.verify()).problems.map((p) => p.message)).toContainEqual(
      expect.stringContaining('audit_purged" has rows under purge #99, which is no purge seal'),
    );
    await db.query(`DELETE FROM audit_purged; DELETE FROM audit_seal_checkpoints`);
    // a real purge record, then its rows altered to excuse one more change
    const other = await sealedTransaction(1);
    await db.query(`CREATE TEMP TABLE gone (r jsonb);
      WITH d AS (
        DELETE FROM audit_changes c WHERE c.id = (SELECT min(id) FROM audit_changes WHERE transaction_id = '${other}')
        RETURNING jsonb_build_array(c.id::text, c.transaction_id, encode(${ledgerHashSql('public', 'c')}, 'hex')) AS r)
      INSERT INTO gone SELECT r FROM d;
      SELECT threadline_record_purge((SELECT jsonb_agg(r) FROM gone), '{}')`);
    const [purge] = await db.query<{ seq: string }>(`SELECT seq::text FROM audit_seals WHERE kind = 'purge'`);
    await db.query(`INSERT INTO audit_purged (purge_seq, seal_seq) VALUES (${purge.seq}, 4)`);
    const report = await integrity.verify();
    expect(report.problems.map((p) => p.message)).toContainEqual(
      `purge record #${purge.seq} was altered: its rows in "public"."audit_purged" differ from what was sealed`,
    );
  });

  it("never seals the caller's own uncommitted transaction (a later write would look inserted after sealing)", async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO posts (title) VALUES ('first')`);
      await client.query(`SELECT * FROM threadline_seal(10)`);
      await client.query(`INSERT INTO posts (title) VALUES ('second')`);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await integrity.verify()).toMatchObject({ ok: true, checked: 6, problemCount: 0 });
  });

  it('names an action added to a sealed transaction that had none, and one that names no transaction', async () => {
    await integrity.seal();
    const plain = await sealedTransaction(3);
    await db.query(`INSERT INTO audit_actions (name, actor_ref, status, reason, transaction_id, inserted_at)
                    VALUES ('gdpr.erasure.approved', '{"type":"admin","id":"1"}', 'ok', 'approved', '${plain}', now() - interval '1 day')`);
    await db.query(`INSERT INTO audit_actions (name, actor_ref, status, transaction_id)
                    VALUES ('export.downloaded', '{"type":"user","id":"42"}', 'ok', gen_random_uuid())`);
    // and none without a transaction at all: every action of v5 names one
    await expect(
      db.query(`INSERT INTO audit_actions (name, actor_ref, status) VALUES ('x', '{"type":"user","id":"42"}', 'ok')`),
    ).rejects.toThrow(/audit_actions_transaction_required/);
    const report = await integrity.verify();
    expect(report.problems.map((p) => p.kind + ':' + (p.seq ?? '-'))).toEqual(['inserted:3', 'inserted:-']);
    expect(report.problems[0].message).toMatch(
      /^action .* was added to transaction .* \(seal #3\), which records no action$/,
    );
    expect(report.problems[1].message).toMatch(/^action .* belongs to no audit transaction/);
  });

  it('refuses a correlation or request id over 256 bytes in the settings, as everywhere else', async () => {
    for (const setting of ['threadline.correlation_id', 'threadline.request_id']) {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT set_config($1, repeat('x', 257), true)`, [setting]);
        await expect(client.query(`INSERT INTO posts (title) VALUES ('x')`)).rejects.toThrow(
          `threadline: ${setting} is 257 bytes; at most 256 are allowed`,
        );
      } finally {
        await client.end();
      }
    }
  });

  it.each([
    [
      'a seal turned to format 1 under a hand-made checkpoint, then its transaction edited',
      `UPDATE audit_seals SET format = 1, change_count = change_count + 1 WHERE seq = 1;
       INSERT INTO audit_seal_checkpoints (seq, chain_sha256, reason) SELECT seq, chain_sha256, 'x' FROM audit_seals WHERE seq = 5;
       UPDATE audit_transactions SET actor_ref = '{"type":"user","id":"mallory"}' WHERE id = $TX`,
    ],
    [
      'a seal given a format no sealer writes, then a change added',
      `UPDATE audit_seals SET format = 7 WHERE seq = 1;
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) VALUES ($TX, 'public', 'posts', 'delete', '{"id": 2}')`,
    ],
    [
      'a previous key set from SQL NULL to JSON null',
      `UPDATE audit_changes SET previous_pk = 'null' WHERE transaction_id = $TX`,
    ],
    [
      'changed fields given other array bounds',
      `UPDATE audit_changes SET changed_fields = '[0:0]={title}' WHERE transaction_id = $TX AND op = 'update'`,
    ],
  ])('names %s', async (_what, sql) => {
    await integrity.seal();
    const tx = await sealedTransaction(1);
    await db.query(sql.replace(/\$TX/g, `'${tx}'`));
    const report = await integrity.verify();
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ seq: 1 });
  });

  it("recomputes with PostgreSQL's own functions, whatever look-alike the search_path puts first", async () => {
    await integrity.seal();
    const tx = await sealedTransaction(2);
    await db.query(
      `UPDATE audit_changes SET data_after = jsonb_set(data_after, '{title}', '"FORGED"') WHERE transaction_id = '${tx}'`,
    );
    // the owner's look-alike: (text, text) beats pg_catalog.convert_to(text, name) for a 'UTF8' literal
    await db.query(`CREATE FUNCTION public.convert_to(t text, enc text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
      $$ SELECT pg_catalog.convert_to(pg_catalog.replace(t, 'FORGED', 'p1'), enc::name) $$`);
    const report = await integrity.verify();
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'altered', seq: 2 })]);
  });

  it('threadline_record_purge records only what is gone, with the hashes sealed transactions need', async () => {
    await integrity.seal();
    const tx = await sealedTransaction(2);
    const [change] = await db.query<{ id: string }>(
      `SELECT max(id)::text AS id FROM audit_changes WHERE transaction_id = '${tx}'`,
    );
    await expect(db.query(`SELECT threadline_record_purge('[["${change.id}", "${tx}", "00"]]', '{}')`)).rejects.toThrow(
      'records only changes and transactions already deleted',
    );
    await expect(db.query(`SELECT threadline_record_purge('[]', ARRAY['${tx}'::uuid])`)).rejects.toThrow(
      'records only changes and transactions already deleted',
    );
    await db.query(`DELETE FROM audit_changes WHERE id = ${change.id}`);
    await expect(db.query(`SELECT threadline_record_purge('[["${change.id}", "${tx}", null]]', '{}')`)).rejects.toThrow(
      'needs the hash of each removed change',
    );
  });

  it('finds any stored column of a sealed change, transaction or action altered, read from the catalog', async () => {
    // Whatever column the audit tables gain, a superuser who edits it (triggers and foreign keys off) is caught:
    // the list comes from the installed tables, so a column the seal leaves out fails here, not in an audit.
    await integrity.seal();
    const tx = await sealedTransaction(1);
    const targets: Record<string, string> = {
      audit_changes: `id = (SELECT min(id) FROM audit_changes WHERE transaction_id = '${tx}')`,
      audit_transactions: `id = '${tx}'`,
      audit_actions: `id = (SELECT action_id FROM audit_transactions WHERE id = '${tx}')`,
    };
    const columns = await db.query<{ table_name: string; column_name: string; data_type: string; domain: string }>(
      `SELECT table_name, column_name, data_type, coalesce(domain_name, '') AS domain FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY ($1) ORDER BY table_name, ordinal_position`,
      [Object.keys(targets)],
    );
    expect(columns.length).toBeGreaterThanOrEqual(30);
    const forged = (c: (typeof columns)[number]): string => {
      const col = `"${c.column_name}"`;
      if (c.domain === 'audit_change_op') return `CASE WHEN ${col} = 'insert' THEN 'update' ELSE 'insert' END`;
      if (c.column_name === 'status') return `CASE WHEN ${col} = 'ok' THEN 'error' ELSE 'ok' END`;
      if (c.column_name === 'id' && c.data_type === 'bigint') return 'DEFAULT';
      switch (c.data_type) {
        case 'text':
          return `coalesce(${col}, '') || 'x'`;
        case 'jsonb':
          return `coalesce(${col}, '{}') || '{"forged":1}'`;
        case 'ARRAY':
          return `coalesce(${col}, '{}') || 'forged'::text`;
        case 'uuid':
          return 'gen_random_uuid()';
        case 'bigint':
          return `${col} - 1`;
        case 'timestamp with time zone':
          return `${col} + interval '1 microsecond'`;
        default:
          throw new Error(`no forgery for ${c.table_name}.${c.column_name} (${c.data_type}): add one`);
      }
    };
    const missed: string[] = [];
    for (const c of columns) {
      const where = targets[c.table_name];
      const [saved] = await db.query<{ row: unknown }>(
        `SELECT to_jsonb(x) AS row FROM ${c.table_name} AS x WHERE ${where}`,
      );
      await db.query(
        `BEGIN; SET LOCAL session_replication_role = replica; UPDATE ${c.table_name} SET "${c.column_name}" = ${forged(c)} WHERE ${where}; COMMIT`,
      );
      if ((await integrity.verify()).ok) missed.push(`${c.table_name}.${c.column_name}`);
      // put the row back as it was (identity and foreign keys aside), and the log is whole again
      const restore = `BEGIN; SET LOCAL session_replication_role = replica;
        DELETE FROM ${c.table_name} AS x WHERE to_jsonb(x) - '${c.column_name}' = '${JSON.stringify(saved.row).replace(/'/g, "''")}'::jsonb - '${c.column_name}';
        INSERT INTO ${c.table_name} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_record(NULL::${c.table_name}, '${JSON.stringify(saved.row).replace(/'/g, "''")}'); COMMIT`;
      await db.query(restore);
    }
    expect(missed).toEqual([]);
    expect(await integrity.verify()).toMatchObject({ ok: true });
  });

  it('hashes a value nested 2,000 deep value by value without running out of stack (format 3)', async () => {
    const [row] = await db.query<{ h: string }>(
      `SELECT encode(threadline_jsonb_sha256((repeat('[', 2000) || repeat(']', 2000))::jsonb), 'hex') AS h`,
    );
    expect(row.h).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps sealing after a restore into another cluster, where txids start again lower', async () => {
    await integrity.seal();
    // A restored database keeps the seals of the cluster it came from: their horizon lies ahead of every txid
    // the new cluster hands out. A transaction the old cluster committed after its last seal came along too.
    await db.query(`UPDATE audit_seals SET horizon = txid_current() + 1000000000 WHERE seq = 5`);
    await db.query(
      `INSERT INTO audit_transactions (txid, actor_ref) VALUES (txid_current() + 999999999, '{"type":"user","id":"old"}')`,
    );
    await write(db.url, 4, 'restored');
    const report = await integrity.verify();
    expect(report).toMatchObject({ ok: true, sealedNow: 5, checked: 10, problemCount: 0 });
    await write(db.url, 3, 'after');
    expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 3, checked: 13 });
  });

  it('names a transaction row whose txid the server has not handed out yet: the sealer would never reach it', async () => {
    await integrity.seal();
    await db.query(
      `INSERT INTO audit_transactions (txid, actor_ref) VALUES (txid_current() + 1000000, '{"type":"admin","id":"cfo"}')`,
    );
    // the sealer only takes txids up to its own, so this row stays unsealed
    expect(await integrity.seal()).toBe(0);
    const report = await integrity.verify();
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'inserted', message: expect.stringContaining('has no seal') }),
    ]);
  });

  it.each([
    ['-1', '(got -1)'],
    ['0', '(got 0)'],
    ['NULL', '(got NULL)'],
    ['100001', '(got 100001)'],
  ])('refuses threadline_seal(%s), and pending transactions are still sealed after', async (arg, got) => {
    await expect(db.query(`SELECT * FROM threadline_seal(${arg})`)).rejects.toThrow(
      `threadline_seal(max_transactions) takes a whole number from 1 to 100000 ${got}`,
    );
    expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 5, checked: 5 });
  });

  it('does not wait on an advisory lock anyone can take, and names the session that holds the sealer', async () => {
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      // the lock sealers took before v5: any session could take it and stall every sealer
      await holder.query(`SELECT pg_advisory_lock(72630415)`);
      expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 5 });
      // a session that calls the sealer and leaves its transaction open
      await holder.query(`BEGIN; SELECT * FROM threadline_seal(1)`);
      const pid = (await holder.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid;
      await write(db.url, 1, 'stalled');
      const started = Date.now();
      await expect(integrity.verify()).rejects.toThrow(
        new RegExp(
          `the sealer is busy: held by pid ${pid} .* since \\d{4}-\\d{2}-\\d{2}T.*waited 10 s.*pg_terminate_backend\\(${pid}\\)`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      await holder.query('ROLLBACK');
      expect(await integrity.verify()).toMatchObject({ ok: true, sealedNow: 1 });
    } finally {
      await holder.end();
    }
  }, 30_000);

  it('refuses integrity options that are not whole seconds, naming each', () => {
    expect(
      proofOptionsProblems({ integrity: { sealEverySeconds: -1, checkEverySeconds: 1.5 } } as ProofOptions),
    ).toEqual([
      'proof.integrity.sealEverySeconds must be a whole number of seconds from 0 to 86400 (got -1)',
      'proof.integrity.checkEverySeconds must be a whole number of seconds from 0 to 86400 (got 1.5)',
    ]);
    expect(proofOptionsProblems({ integrity: { every: 5 } } as ProofOptions)).toEqual([
      'proof.integrity.every is not a known option (allowed: sealEverySeconds, checkEverySeconds, waitSeconds, fullEverySeconds, checkpoints)',
    ]);
  });
});

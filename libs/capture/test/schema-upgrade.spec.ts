import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  auditSchemaSql,
  chainStepSql,
  changeDigestSql,
  ledgerHashSql,
  purgeContentSql,
  sealContentForSql,
} from '../src';

const V1 = readFileSync(path.join(__dirname, 'fixtures', 'install-v1.sql'), 'utf8');
const V2 = readFileSync(path.join(__dirname, 'fixtures', 'install-v2.sql'), 'utf8');
const V3 = readFileSync(path.join(__dirname, 'fixtures', 'install-v3.sql'), 'utf8');
const V4 = readFileSync(path.join(__dirname, 'fixtures', 'install-v4.sql'), 'utf8');
const V5 = readFileSync(path.join(__dirname, 'fixtures', 'install-v5.sql'), 'utf8');
const V6 = readFileSync(path.join(__dirname, 'fixtures', 'install-v6.sql'), 'utf8');
const V7 = readFileSync(path.join(__dirname, 'fixtures', 'install-v7.sql'), 'utf8');
const V8 = readFileSync(path.join(__dirname, 'fixtures', 'install-v8.sql'), 'utf8');
const V9 = readFileSync(path.join(__dirname, 'fixtures', 'install-v9.sql'), 'utf8');
const V10 = readFileSync(path.join(__dirname, 'fixtures', 'install-v10.sql'), 'utf8');
const V11 = readFileSync(path.join(__dirname, 'fixtures', 'install-v11.sql'), 'utf8');
const V12 = readFileSync(path.join(__dirname, 'fixtures', 'install-v12.sql'), 'utf8');
const V13 = readFileSync(path.join(__dirname, 'fixtures', 'install-v13.sql'), 'utf8');

/**
 * Every complete, aligned subtree of level 4 and up (16 seals and more) of the RFC 6962 tree over the
 * seals, computed here from audit_seals on its own (leaf = SHA-256(0x00 || link text || content hash), node = SHA-256(0x01 || left || right)).
 */
async function expectedTree(db: TestDatabase): Promise<string[]> {
  const seals = await db.query<{
    seq: string;
    transaction_id: string | null;
    format: number;
    change_count: number;
    content_sha256: Buffer;
  }>(`SELECT seq::text, transaction_id, format, change_count, content_sha256 FROM audit_seals AS s ORDER BY s.seq`);
  const sha = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
  let level: Buffer[] = seals.map((s) => {
    const id = s.transaction_id ?? 'purge';
    const link = s.format === 1 ? `${s.seq}:${id}` : `${s.seq}:${id}:${s.format}:${s.change_count}`;
    return sha(Buffer.from([0]), Buffer.from(link), s.content_sha256);
  });
  const rows: string[] = [];
  for (let l = 0; level.length > 0; l++) {
    if (l >= 4) level.forEach((h, i) => rows.push(`${l}/${i}/${h.toString('hex')}`));
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha(Buffer.from([1]), level[i], level[i + 1]));
    level = next;
  }
  return rows.sort();
}
const storedTree = async (db: TestDatabase) =>
  (await db.query<{ n: string }>(`SELECT level || '/' || idx || '/' || encode(hash, 'hex') AS n FROM audit_seal_tree`))
    .map((r) => r.n)
    .sort();

/** What the audit schema is made of: tables' columns, constraints, indexes, domains, functions and triggers. */
const CATALOG = `
SELECT 'column' AS kind, c.relname || '.' || a.attname AS name,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END AS definition
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'index', i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'
UNION ALL
SELECT 'domain', t.typname, format_type(t.typbasetype, t.typtypmod) || ' ' || coalesce(string_agg(pg_get_constraintdef(k.oid), ' '), '')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_constraint k ON k.contypid = t.oid
WHERE n.nspname = 'public' AND t.typtype = 'd' GROUP BY t.typname, t.typbasetype, t.typtypmod
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', md5(pg_get_functiondef(p.oid))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'event trigger', e.evtname, e.evtevent || ' ' || e.evtfoid::regproc::text FROM pg_event_trigger e
ORDER BY 1, 2`;

/**
 * The upgrade path: an app that installed an earlier audit schema gets a new
 * install migration (its marker carries the version) and runs it. The
 * result must be the schema a fresh install of this version creates.
 */
describe('audit schema upgrade from every earlier version', () => {
  let fresh: TestDatabase;
  let upgraded: TestDatabase;
  beforeAll(async () => {
    fresh = await createTestDatabase();
    upgraded = await createTestDatabase();
  });
  afterAll(async () => {
    await fresh.drop();
    await upgraded.drop();
  });

  it('v1 then this version equals a fresh install of this version', async () => {
    await fresh.query(auditSchemaSql('public').up);
    await upgraded.query(V1);
    await upgraded.query(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO audit_transactions (txid) VALUES (1)`);
    await upgraded.query(auditSchemaSql('public').up);
    await upgraded.query(`DROP TABLE t`);
    expect(await upgraded.query(CATALOG)).toEqual(await fresh.query(CATALOG));
  });

  it('v3 then this version equals a fresh install, with the leases table purges and baselines hold', async () => {
    const v3 = await createTestDatabase();
    try {
      await v3.query(V3);
      expect(await v3.query(`SELECT to_regclass('audit_leases') IS NULL AS absent`)).toEqual([{ absent: true }]);
      await v3.query(auditSchemaSql('public').up);
      expect(await v3.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v3.drop();
    }
  });

  it('v4 then this version equals a fresh install; v4 seals still verify, and new ones are made in format 2', async () => {
    const v4 = await createTestDatabase();
    try {
      await v4.query(V4);
      await v4.query(`CREATE TABLE t (id int PRIMARY KEY, note text);
        SELECT threadline_capture('public', 't', 't_audit', '{}');
        INSERT INTO t VALUES (1, 'before');
        SELECT * FROM threadline_record_action('x', '{"type":"user","id":"1"}', 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        SELECT * FROM threadline_seal()`);
      const [old] = await v4.query<{ content: string }>(
        `SELECT encode(content_sha256, 'hex') AS content FROM audit_seals`,
      );
      await v4.query(auditSchemaSql('public').up);
      await v4.query(`DROP TABLE t; DROP FUNCTION t_audit()`);
      expect(await v4.query(CATALOG)).toEqual(await fresh.query(CATALOG));
      // the v4 seal keeps format 1, and recomputing it in format 1 still gives what was sealed
      const [kept] = await v4.query<{ format: number; same: boolean }>(
        `SELECT s.format, ${sealContentForSql('public', 's', 't')} = s.content_sha256 AS same
         FROM audit_seals s JOIN audit_transactions t ON t.id = s.transaction_id CROSS JOIN LATERAL ${changeDigestSql('public', 't.id')} AS d`,
      );
      expect(kept).toEqual({ format: 1, same: true });
      expect(old.content).toMatch(/^[0-9a-f]{64}$/);
      await v4.query(`INSERT INTO audit_transactions (txid) VALUES (txid_current())`);
      await v4.query(`SELECT * FROM threadline_seal()`);
      expect(await v4.query(`SELECT format FROM audit_seals AS s ORDER BY s.seq`)).toEqual([
        { format: 1 },
        { format: 2 },
      ]);
    } finally {
      await v4.drop();
    }
  });

  it('v5 then this version equals a fresh install; v5 seals still verify and actors are stored as v5 stored them', async () => {
    const v5 = await createTestDatabase();
    try {
      await v5.query(V5);
      await v5.query(`CREATE TABLE t (id int PRIMARY KEY, note text);
        SELECT threadline_capture('public', 't', 't_audit', '{}');
        CREATE TABLE r (id int PRIMARY KEY, email text);
        SELECT threadline_capture('public', 'r', 'r_audit', '{"mask": ["email"]}');
        BEGIN; SELECT set_config('threadline.actor_ref', '{"type": "user", "id": " 7 "}', true); INSERT INTO t VALUES (1, 'v5'); COMMIT;
        SELECT * FROM threadline_seal()`);
      await v5.query(auditSchemaSql('public').up);
      await v5.query(`BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"7"}', true); INSERT INTO t VALUES (2, 'v6'); COMMIT;
        SELECT * FROM threadline_seal()`);
      expect(await v5.query(`SELECT actor_ref FROM audit_transactions ORDER BY occurred_at, txid`)).toEqual([
        { actor_ref: { type: 'user', id: '7' } },
        { actor_ref: { type: 'user', id: '7' } },
      ]);
      const kept = await v5.query<{ format: number; same: boolean }>(
        `SELECT s.format, ${sealContentForSql('public', 's', 't')} = s.content_sha256 AS same
         FROM audit_seals s JOIN audit_transactions t ON t.id = s.transaction_id CROSS JOIN LATERAL ${changeDigestSql('public', 't.id')} AS d
         ORDER BY s.seq`,
      );
      expect(kept).toEqual([
        { format: 2, same: true },
        { format: 2, same: true },
      ]);
      // a table with redaction captured under v5: a column added after the upgrade is masked, like any new one
      await v5.query(`ALTER TABLE r ADD COLUMN ssn text, DROP COLUMN email, ADD COLUMN mail text`);
      await v5.query(`INSERT INTO r VALUES (1, 'ssn-secret', 'mail-secret')`);
      const [r] = await v5.query<{ data_after: unknown }>(
        `SELECT data_after FROM audit_changes WHERE table_name = 'r'`,
      );
      expect(r.data_after).toEqual({ id: 1, ssn: '[REDACTED]', mail: '[REDACTED]' });
      await v5.query(`DROP TABLE t, r; DROP FUNCTION t_audit(); DROP FUNCTION r_audit()`);
      expect(await v5.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v5.drop();
    }
  });

  it('v6 then this version: the event triggers learn ALTER TYPE and the rest and keep their state; a v6 function that refused writes records them', async () => {
    const v6 = await createTestDatabase();
    try {
      await v6.query(V6);
      await v6.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE;
        CREATE TABLE r (id int PRIMARY KEY, email text, name text);
        SELECT threadline_capture('public', 'r', 'r_audit', '{"mask": ["email"]}');
        ALTER TABLE r RENAME COLUMN email TO mail`);
      await expect(v6.query(`INSERT INTO r VALUES (1, 'secret-1', 'a')`)).rejects.toThrow('changed since');
      await v6.query(auditSchemaSql('public').up);
      expect(await v6.query(`SELECT evtname, evtenabled, evttags FROM pg_event_trigger ORDER BY evtname`)).toEqual([
        {
          evtname: 'threadline_ddl',
          evtenabled: 'D',
          evttags: [
            'ALTER TABLE',
            'CREATE TABLE',
            'ALTER TYPE',
            'ALTER VIEW',
            'ALTER MATERIALIZED VIEW',
            'ALTER FOREIGN TABLE',
          ],
        },
        { evtname: 'threadline_drop', evtenabled: 'A', evttags: null },
        { evtname: 'threadline_rewrite', evtenabled: 'A', evttags: ['ALTER TABLE', 'ALTER TYPE'] },
      ]);
      await v6.query(`INSERT INTO r VALUES (1, 'secret-1', 'a')`);
      await v6.query(`ALTER TABLE r RENAME COLUMN name TO label`);
      await v6.query(`UPDATE r SET label = 'b'`);
      expect(await v6.query(`SELECT op, data_after FROM audit_changes ORDER BY id`)).toEqual([
        { op: 'insert', data_after: { id: 1, mail: '[REDACTED]', name: 'a' } },
        { op: 'update', data_after: { id: 1, mail: '[REDACTED]', label: '[REDACTED]' } },
      ]);
      await v6.query(
        `DROP TABLE r; DROP FUNCTION r_audit(); DELETE FROM audit_changes; DELETE FROM audit_transactions`,
      );
      expect(await v6.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v6.drop();
    }
  });

  it('v7 then this version: the Merkle tree of the seals v7 made is built, and seals and purges extend it', async () => {
    const v7 = await createTestDatabase();
    try {
      await v7.query(V7);
      await v7.query(
        `CREATE TABLE t (id int PRIMARY KEY, v text); SELECT threadline_capture('public', 't', 't_audit', '{}')`,
      );
      for (let i = 1; i <= 18; i++) await v7.query(`INSERT INTO t VALUES (${i}, 'v${i}')`);
      await v7.query(`SELECT threadline_seal()`);
      await v7.query(auditSchemaSql('public').up);
      expect(await storedTree(v7)).toEqual(await expectedTree(v7));
      expect((await storedTree(v7)).map((n) => n.slice(0, 4))).toEqual(['4/0/']);
      // the sealer's BRIN index summarizes each range as it fills (else every sealer call reads the unsummarized tail)
      expect(
        await v7.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_transactions_txid_brin'`),
      ).toEqual([{ indexdef: expect.stringContaining("WITH (autosummarize='on')") }]);
      // grown one seal at a time and in batches, and by a purge seal, it stays the same tree
      for (let i = 19; i <= 47; i++) {
        await v7.query(`INSERT INTO t VALUES (${i}, 'v${i}')`);
        if (i % 5 === 0) await v7.query(`SELECT threadline_seal()`);
      }
      await v7.query(`SELECT threadline_seal()`);
      await v7.query(`CREATE TEMP TABLE gone (r jsonb);
        WITH d AS (DELETE FROM audit_changes c WHERE c.id = (SELECT min(id) FROM audit_changes)
          RETURNING jsonb_build_array(c.id::text, c.transaction_id, encode(${ledgerHashSql('public', 'c')}, 'hex')) AS r)
        INSERT INTO gone SELECT r FROM d;
        SELECT threadline_record_purge((SELECT jsonb_agg(r) FROM gone), '{}')`);
      expect(await v7.query(`SELECT count(*)::int AS n FROM audit_seals WHERE kind = 'purge'`)).toEqual([{ n: 1 }]);
      expect(await v7.query(`SELECT max(seq)::int AS n FROM audit_seals`)).toEqual([{ n: 48 }]);
      expect(await storedTree(v7)).toEqual(await expectedTree(v7));
      expect((await storedTree(v7)).map((n) => n.slice(0, 4))).toEqual(['4/0/', '4/1/', '4/2/', '5/0/']);
      // the install again adds nothing
      await v7.query(auditSchemaSql('public').up);
      expect(await storedTree(v7)).toEqual(await expectedTree(v7));
      await v7.query(`DROP TABLE t; DROP FUNCTION t_audit()`);
      await v7.query(
        `DELETE FROM audit_changes; DELETE FROM audit_transactions; DELETE FROM audit_seals; DELETE FROM audit_purged; DELETE FROM audit_seal_tree`,
      );
      expect(await v7.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v7.drop();
    }
  });

  it('v8 then this version equals a fresh install, and a transaction records the trace context set with its actor', async () => {
    const v8 = await createTestDatabase();
    try {
      await v8.query(V8);
      await v8.query(
        `CREATE TABLE t (id int PRIMARY KEY); SELECT threadline_capture('public', 't', 't_audit', '{}'); INSERT INTO t VALUES (1)`,
      );
      await v8.query(auditSchemaSql('public').up);
      await v8.query(`BEGIN; SELECT set_config('threadline.traceparent', '00-${'a'.repeat(32)}-${'b'.repeat(16)}-01', true);
        INSERT INTO t VALUES (2); COMMIT`);
      expect(await v8.query(`SELECT meta FROM audit_transactions ORDER BY occurred_at, id`)).toEqual([
        { meta: null },
        { meta: { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) } },
      ]);
      await v8.query(
        `DROP TABLE t; DROP FUNCTION t_audit(); DELETE FROM audit_changes; DELETE FROM audit_transactions`,
      );
      expect(await v8.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v8.drop();
    }
  });

  it('v9 then this version equals a fresh install, and capture functions v9 made are regenerated with the one-row UPDATE path', async () => {
    const v9 = await createTestDatabase();
    try {
      await v9.query(V9);
      await v9.query(`CREATE TABLE t (id int PRIMARY KEY, secret text);
        SELECT threadline_capture('public', 't', 't_audit', '{"mask": ["secret"]}'); INSERT INTO t VALUES (1, 'a')`);
      const deployed = `SELECT (substr(obj_description(p.oid, 'pg_proc'), 12)::jsonb->>'version')::int AS version,
        position('threadline_rows = 1' IN p.prosrc) > 0 AS one_row FROM pg_proc p WHERE p.proname = 't_audit'`;
      expect(await v9.query(deployed)).toEqual([{ version: 4, one_row: false }]);
      await v9.query(auditSchemaSql('public').up);
      expect(await v9.query(deployed)).toEqual([{ version: 5, one_row: true }]);
      await v9.query(`UPDATE t SET secret = 'b'`);
      expect(await v9.query(`SELECT changed_fields, data_after FROM audit_changes WHERE op = 'update'`)).toEqual([
        { changed_fields: ['secret'], data_after: { id: 1, secret: '[REDACTED]' } },
      ]);
      await v9.query(
        `DROP TABLE t; DROP FUNCTION t_audit(); DELETE FROM audit_changes; DELETE FROM audit_transactions`,
      );
      expect(await v9.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v9.drop();
    }
  });

  it('v10 then this version equals a fresh install, with the legal holds table and its checks, twice over', async () => {
    const v10 = await createTestDatabase();
    try {
      await v10.query(V10);
      expect(await v10.query(`SELECT to_regclass('audit_legal_holds') IS NULL AS absent`)).toEqual([{ absent: true }]);
      await v10.query(auditSchemaSql('public').up);
      await v10.query(auditSchemaSql('public').up);
      await v10.query(
        `INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"public.t"}', 'case 1', 'legal')`,
      );
      expect(await v10.query(`SELECT held_by_role = session_user AS own, released_at FROM audit_legal_holds`)).toEqual([
        { own: true, released_at: null },
      ]);
      // a release names who, when and why, all or nothing; a hold covers something and says why
      await expect(v10.query(`UPDATE audit_legal_holds SET released_at = now()`)).rejects.toThrow(
        /audit_legal_holds_release_complete/,
      );
      await expect(
        v10.query(`INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{}', 'x', 'y')`),
      ).rejects.toThrow(/check constraint/);
      await expect(
        v10.query(`INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"t"}', ' ', 'y')`),
      ).rejects.toThrow(/check constraint/);
      await v10.query(`TRUNCATE audit_legal_holds`);
      expect(await v10.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v10.drop();
    }
  });

  it('v12 then this version equals a fresh install, and a purge seal after it chains as the v12 function chained one', async () => {
    const v12 = await createTestDatabase();
    try {
      await v12.query(V12);
      // two sealed transactions, the first purged by v12's threadline_record_purge
      const purge = async (db: TestDatabase) => {
        const [{ id }] = await db.query<{ id: string }>(
          `WITH t AS (INSERT INTO audit_transactions (txid) VALUES (txid_current()) RETURNING id)
           INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) SELECT id, 'public', 'x', 'insert', '{}' FROM t RETURNING transaction_id AS id`,
        );
        await db.query(`SELECT threadline_seal(10)`);
        await db.query(`DELETE FROM audit_changes WHERE transaction_id = $1`, [id]);
        await db.query(`DELETE FROM audit_transactions WHERE id = $1`, [id]);
        await db.query(`SELECT threadline_record_purge('[]'::jsonb, ARRAY[$1::uuid])`, [id]);
        return id;
      };
      // an action a v12 purge left behind with its transaction gone: moved out of the log by the upgrade (from
      // v13 a purge takes a transaction's actions, and verification reports any action without its transaction)
      const purgedId = await purge(v12);
      await v12.query(
        `INSERT INTO audit_actions (name, actor_ref, transaction_id) VALUES ('left.behind', '{"type":"user","id":"u"}', $1)`,
        [purgedId],
      );
      await v12.query(auditSchemaSql('public').up);
      expect(await v12.query(`SELECT name FROM audit_actions_unproven`)).toEqual([{ name: 'left.behind' }]);
      expect(await v12.query(`SELECT count(*)::int AS n FROM audit_actions`)).toEqual([{ n: 0 }]);
      await v12.query(auditSchemaSql('public').up);
      await purge(v12);
      const seals = await v12.query<{ seq: number; kind: string; change_count: number; ok: boolean }>(
        `SELECT s.seq::int AS seq, s.kind, s.change_count,
                s.content_sha256 = ${purgeContentSql('public', 's.seq')}
                AND s.chain_sha256 = ${chainStepSql('p.chain_sha256', 's.seq', "'purge'", 's.content_sha256', 's.format', 's.change_count')} AS ok
         FROM audit_seals s JOIN audit_seals p ON p.seq = s.seq - 1 WHERE s.kind = 'purge' ORDER BY s.seq`,
      );
      expect(seals).toEqual([
        { seq: 2, kind: 'purge', change_count: 1, ok: true },
        { seq: 4, kind: 'purge', change_count: 1, ok: true },
      ]);
      await v12.query(`DELETE FROM audit_purged; DELETE FROM audit_seal_tree; DELETE FROM audit_seals`);
      expect(await v12.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v12.drop();
    }
  });

  it('v13 with rows then this version equals a fresh install, and its log can be moved into partitions', async () => {
    const v13 = await createTestDatabase();
    try {
      await v13.query(V13);
      await v13.query(`CREATE TABLE t (id int PRIMARY KEY); SELECT threadline_capture('public', 't', 't_audit', '{}');
        INSERT INTO t SELECT g FROM generate_series(1, 5) AS g; SELECT threadline_seal(10)`);
      await v13.query(auditSchemaSql('public').up);
      await v13.query(`SELECT threadline_partition_upgrade_start('day', 3)`);
      for (let done = false; !done;)
        done = (await v13.query<{ done: boolean }>(`SELECT (threadline_partition_upgrade_copy(2)).*`)).some(
          (r) => (r as { table_name?: string }).table_name === 'audit_changes' && r.done,
        );
      expect(await v13.query(`SELECT * FROM threadline_partition_upgrade_finish()`)).toEqual([
        { transactions: '1', changes: '5' },
      ]);
      await v13.query(
        `DROP TABLE t, audit_changes_unpartitioned, audit_transactions_unpartitioned; DROP FUNCTION t_audit()`,
      );
      const partitioned = await createTestDatabase();
      try {
        await partitioned.query(auditSchemaSql('public', { partitioning: { interval: 'day', ahead: 3 } }).up);
        expect(await v13.query(CATALOG)).toEqual(await partitioned.query(CATALOG));
      } finally {
        await partitioned.drop();
      }
    } finally {
      await v13.drop();
    }
  });

  it('v11 then this version equals a fresh install: changes stored before keep no transaction start, later ones get their own', async () => {
    const v11 = await createTestDatabase();
    try {
      await v11.query(V11);
      await v11.query(`WITH t AS (INSERT INTO audit_transactions (txid) VALUES (1) RETURNING id)
        INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) SELECT id, 'public', 'x', 'insert', '{}' FROM t`);
      await v11.query(auditSchemaSql('public').up);
      await v11.query(auditSchemaSql('public').up);
      await v11.query(`WITH t AS (INSERT INTO audit_transactions (txid, occurred_at) VALUES (2, now() - interval '1 day') RETURNING id)
        INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) SELECT id, 'public', 'x', 'insert', '{}' FROM t`);
      expect(
        await v11.query(
          `SELECT transaction_occurred_at IS NULL AS none, transaction_occurred_at > now() - interval '1 minute' AS now FROM audit_changes ORDER BY id`,
        ),
      ).toEqual([
        { none: true, now: null },
        { none: false, now: true },
      ]);
      expect(await v11.query(`SELECT count(*)::int AS n FROM audit_partitioning`)).toEqual([{ n: 0 }]);
      await v11.query(`DELETE FROM audit_changes; DELETE FROM audit_transactions`);
      expect(await v11.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v11.drop();
    }
  });

  it('v9 then this version keeps a self-guarding capture whose columns changed, and one whose key was dropped, as they were', async () => {
    const v9 = await createTestDatabase();
    try {
      await v9.query(V9);
      await v9.query(`ALTER EVENT TRIGGER threadline_ddl DISABLE;
        CREATE TABLE r (id int PRIMARY KEY, secret text, note text); INSERT INTO r VALUES (1, 's', 'n');
        SELECT threadline_capture('public', 'r', 'r_audit', '{"mask": ["secret"]}');
        ALTER TABLE r RENAME COLUMN note TO ssn;
        CREATE TABLE k (id int PRIMARY KEY, secret text, v text); INSERT INTO k VALUES (1, 's', 'v');
        SELECT threadline_capture('public', 'k', 'k_audit', '{"mask": ["secret"]}');
        ALTER TABLE k DROP CONSTRAINT k_pkey`);
      const versions = `SELECT p.proname AS name, (substr(obj_description(p.oid, 'pg_proc'), 12)::jsonb->>'version')::int AS version
        FROM pg_proc p WHERE p.proname IN ('r_audit', 'k_audit') ORDER BY 1`;
      await v9.query(auditSchemaSql('public').up);
      expect(await v9.query(versions)).toEqual([
        { name: 'k_audit', version: 4 },
        { name: 'r_audit', version: 4 },
      ]);
      await v9.query(`UPDATE r SET ssn = '999-88-7777'; UPDATE k SET v = 'w'`);
      const stored = await v9.query<{ table_name: string; data_after: Record<string, unknown> }>(
        `SELECT table_name, data_after FROM audit_changes WHERE op = 'update' ORDER BY table_name`,
      );
      expect(stored.map((c) => c.table_name)).toEqual(['k', 'r']);
      expect(stored[1].data_after.ssn).toBe('[REDACTED]');
      expect(JSON.stringify(stored)).not.toContain('999-88-7777');
    } finally {
      await v9.drop();
    }
  });

  it("v2 then this version equals a fresh install, and capture functions v2 made now run with the owner's rights", async () => {
    const v2 = await createTestDatabase();
    try {
      await v2.query(V2);
      await v2.query(`CREATE TABLE t (id int PRIMARY KEY, secret text);
        SELECT threadline_capture('public', 't', 't_audit', '{"mask": ["secret"], "captureInReplicaRole": true}')`);
      const rights = `SELECT p.prosecdef, p.proconfig FROM pg_proc p WHERE p.proname = 't_audit'`;
      const [before] = await v2.query<{ prosecdef: boolean }>(rights);
      expect(before.prosecdef).toBe(false);
      await v2.query(auditSchemaSql('public').up);
      await v2.query(`INSERT INTO t VALUES (1, 'hidden')`);
      const [after] = await v2.query<{ prosecdef: boolean; proconfig: string[] }>(rights);
      expect(after.prosecdef).toBe(true);
      expect(after.proconfig).toContain('search_path=pg_catalog, pg_temp');
      // v3 records TRUNCATE too: the upgrade added the trigger to the table v2 captured
      await v2.query(`TRUNCATE t`);
      const changes = await v2.query<{ op: string; data_after: unknown }>(
        `SELECT op, data_after FROM audit_changes ORDER BY id`,
      );
      expect(changes).toEqual([
        { op: 'insert', data_after: { id: 1, secret: '[REDACTED]' } },
        { op: 'truncate', data_after: { rowCount: 1 } },
      ]);
      await v2.query(
        `SELECT threadline_uncapture('public', 't', 't_audit'); DROP TABLE t; DELETE FROM audit_changes; DELETE FROM audit_transactions`,
      );
      expect(await v2.query(CATALOG)).toEqual(await fresh.query(CATALOG));
    } finally {
      await v2.drop();
    }
  });
});

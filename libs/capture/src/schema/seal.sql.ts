import { isoUtc, literal, qualified } from '@threadline/core';
import { BASELINE_SOURCE } from '../trigger/snapshot-sql';

/** Seals audit transactions into the hash chain; SECURITY DEFINER, so the app's role needs only EXECUTE. */
export const SEAL_FUNCTION = 'threadline_seal';
/** One row per sealed audit transaction, in chain order. */
export const SEALS_TABLE = 'audit_seals';
/**
 * Where a purge of schema v4 or before cut the chain. Kept for those purges
 * only: at or before the latest one, a seal made before v5 (format 1) may
 * miss its transaction or some of its changes. Purges of v5 record exactly
 * what they removed instead (PURGED_TABLE).
 */
export const CHECKPOINTS_TABLE = 'audit_seal_checkpoints';
/**
 * What each retention purge removed from sealed transactions, one row per
 * wholly removed transaction (`change_id` NULL) or per change removed from
 * one that remains (with the change's hash): what lets verification still
 * recompute what remains. Written by RECORD_PURGE_FUNCTION, and itself
 * sealed: each purge batch appends a `purge` seal whose content hashes its rows.
 */
export const PURGED_TABLE = 'audit_purged';
/** Records a purge batch in the ledger and the chain; the owner's, like the purge. */
export const RECORD_PURGE_FUNCTION = 'threadline_record_purge';
/** Transactions one `threadline_seal()` call seals at most (call it again while it reports more pending). */
export const SEAL_BATCH = 5000;
/**
 * SQL: `t` is a baseline still being written (its snapshots arrive over many
 * database transactions). It is sealed once complete: completing it stamps
 * its txid anew, so the next sealer run finds it.
 */
export function openBaselineSql(t = 't'): string {
  return `(${t}.source IS NOT DISTINCT FROM ${literal(BASELINE_SOURCE)} AND NOT coalesce(${t}.meta ? 'completed_at', false))`;
}

/** The most transactions one `threadline_seal(n)` call accepts as `n`. */
export const SEAL_BATCH_MAX = 100_000;
/**
 * How long a sealer waits for another one before it gives up and says who
 * holds it (seconds). The sealer's lock is a lock on the seals table that
 * the app's role cannot take by itself (it has only SELECT there); it can
 * hold it only by calling `threadline_seal()` in a transaction it leaves
 * open, and then every other sealer reports that session instead of waiting.
 */
export const SEAL_LOCK_TIMEOUT_SECONDS = 10;

/**
 * How a seal's content hash is computed. 1: schema v4 and before (the
 * transaction row, its linked action, and every change as one text: a
 * transaction over about 1 GB of images could not be sealed). 2: schema v5
 * (see sealContentSql).
 */
export const SEAL_FORMAT = 2;
/**
 * The format a transaction is sealed in when one of its changes cannot be
 * written as text within PostgreSQL's 1 GB limit (jsonb escapes a control
 * character as six bytes, so a 185 MB value can): the same content hash,
 * with each change hashed value by value (JSONB_HASH_FUNCTION) instead of
 * as one text. Only such transactions pay for it.
 */
export const SEAL_FORMAT_LARGE = 3;
/** `threadline_jsonb_sha256(jsonb)`: a jsonb value's hash, built value by value, never as one text. */
export const JSONB_HASH_FUNCTION = 'threadline_jsonb_sha256';
/** How deep threadline_jsonb_sha256 goes value by value before hashing what lies below as text. */
const JSONB_HASH_DEPTH = 32;

const utc = (column: string) => `to_jsonb(${column} AT TIME ZONE 'UTC')`;

/** SQL (bytea): SHA-256 of one change row `c` in canonical form (jsonb text: key order and spacing are fixed). */
export function changeHashSql(c = 'c'): string {
  return `sha256(convert_to(jsonb_build_array(${c}.id, ${c}.table_schema, ${c}.table_name, ${c}.op, ${c}.table_pk, ${c}.previous_pk, ${c}.data_after, ${c}.changed_fields::text, ${c}.changed_from, ${utc(`${c}.captured_at`)}, ${nullFlagsSql([`${c}.previous_pk`, `${c}.data_after`, `${c}.changed_from`])})::text, 'UTF8'))`;
}

/**
 * SQL: which of the jsonb `columns` are SQL NULL, as one text of 0s and 1s. In a jsonb array SQL NULL and
 * JSON null both read `null`: without it a NULL could be swapped for 'null'::jsonb unseen. (Arrays are
 * hashed as their text, which keeps their bounds.)
 */
function nullFlagsSql(columns: string[]): string {
  return columns.map((column) => `(${column} IS NULL)::int::text`).join(' || ');
}

/**
 * SQL (bytea): SHA-256 of one change row `c` for SEAL_FORMAT_LARGE: its
 * scalar fields as a jsonb array, then each jsonb field hashed value by value.
 */
export function largeChangeHashSql(auditSchema: string, c = 'c'): string {
  const j = (column: string) =>
    `coalesce(${qualified(auditSchema, JSONB_HASH_FUNCTION)}(${c}.${column}), sha256(''::bytea))`;
  return `sha256(sha256(convert_to(jsonb_build_array(${c}.id, ${c}.table_schema, ${c}.table_name, ${c}.op, ${c}.changed_fields::text, ${utc(`${c}.captured_at`)})::text, 'UTF8'))
    || ${j('table_pk')} || ${j('previous_pk')} || ${j('data_after')} || ${j('changed_from')})`;
}

/**
 * SQL (bytea or NULL): the hash a purge records for change `c` it deletes:
 * in the format its transaction was sealed in (none for a seal made before
 * v5, or a transaction not sealed yet).
 */
export function ledgerHashSql(auditSchema: string, c = 'c'): string {
  return `CASE (SELECT x.format FROM ${qualified(auditSchema, SEALS_TABLE)} AS x WHERE x.transaction_id = ${c}.transaction_id)
    WHEN ${SEAL_FORMAT} THEN ${changeHashSql(c)} WHEN ${SEAL_FORMAT_LARGE} THEN ${largeChangeHashSql(auditSchema, c)} END`;
}

/** SQL (bytea): SHA-256 of one action row `a` in canonical form. */
export function actionHashSql(a = 'a'): string {
  return `sha256(convert_to(jsonb_build_array(${a}.id, ${a}.name, ${a}.actor_ref, ${a}.status, ${a}.verb, ${a}.category, ${a}.reason, ${a}.comment, ${a}.correlation_id, ${a}.request_id, ${a}.job_id, ${utc(`${a}.inserted_at`)}, ${a}.transaction_id)::text, 'UTF8'))`;
}

/**
 * SQL: a LATERAL subquery over the changes of the audit transaction whose id
 * is `transactionId` (an SQL expression), read once: `changes` (how many)
 * and `change_hashes` (their hashes in id order, concatenated; NULL when
 * none). Join it as `d` for sealContentSql.
 */
export function changeDigestSql(auditSchema: string, transactionId = 't.id', format: 2 | 3 = SEAL_FORMAT): string {
  const hash = format === SEAL_FORMAT_LARGE ? largeChangeHashSql(auditSchema, 'c') : changeHashSql('c');
  return `(SELECT count(*)::int AS changes, string_agg(${hash}, ''::bytea ORDER BY c.id) AS change_hashes
  FROM ${qualified(auditSchema, 'audit_changes')} AS c WHERE c.transaction_id = ${transactionId})`;
}

/**
 * SQL: changeDigestSql for verification of seal `sealSeq`: the hashes of the
 * transaction's changes still present merged, in id order, with those a
 * purge recorded for it (PURGED_TABLE), so what remains of a partly purged
 * transaction recomputes to what was sealed. `changes` counts the present
 * ones, `purged_changes` the recorded ones.
 */
export function verifyDigestSql(auditSchema: string, transactionId: string, sealSeq: string, format: string): string {
  return `(SELECT (count(*) FILTER (WHERE u.present))::int AS changes, (count(*) FILTER (WHERE NOT u.present))::int AS purged_changes,
    string_agg(u.h, ''::bytea ORDER BY u.id) AS change_hashes
  FROM (SELECT c.id, CASE ${format} WHEN ${SEAL_FORMAT_LARGE} THEN ${largeChangeHashSql(auditSchema, 'c')} WHEN ${SEAL_FORMAT} THEN ${changeHashSql('c')} END AS h,
          true AS present FROM ${qualified(auditSchema, 'audit_changes')} AS c WHERE c.transaction_id = ${transactionId}
        UNION ALL
        SELECT p.change_id, p.change_sha256, false FROM ${qualified(auditSchema, PURGED_TABLE)} AS p
        WHERE p.seal_seq = ${sealSeq} AND p.change_id IS NOT NULL) AS u)`;
}

/**
 * sha256 of no bytes: the actions part of a transaction that has none (`action_id` is NULL: every action
 * recorded sets it, so the probe is skipped; verification reports an action whose transaction has no
 * `action_id`). Written with decode(), not a '\\x...' literal, whose meaning a session's
 * standard_conforming_strings would change.
 */
const EMPTY_SHA256 = `decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')`;

/**
 * SQL (bytea): the SHA-256 of one audit transaction's content, for the
 * `audit_transactions` row aliased `t` and its changeDigestSql row `d`, in
 * the current format (2):
 *
 *   sha256( sha256(row) || sha256(action hashes) || sha256(change hashes) )
 *
 * where `row` is the transaction row as a jsonb array, the action hashes
 * are those of every action recorded in the transaction (by time, then id;
 * none are looked up when `action_id`, part of `row`, is NULL) and
 * the change hashes those of its changes in id order (changeHashSql).
 * Hashing each change on its own keeps memory bounded by 32 bytes a change,
 * whatever the size of the images. Times are written in UTC, so the
 * session's TimeZone and DateStyle do not matter.
 *
 * The same expression seals (threadline_seal) and verifies (the integrity
 * check), so what is hashed is defined once. Format 3 is the same
 * expression over a digest of SEAL_FORMAT_LARGE change hashes. `format` 1
 * gives the expression seals of schema v4 and before were made with (it
 * reads the changes itself, not `d`).
 */
export function sealContentSql(auditSchema: string, t = 't', format: 1 | 2 | 3 = SEAL_FORMAT, d = 'd'): string {
  const s = (name: string) => qualified(auditSchema, name);
  if (format === 1)
    return `sha256(convert_to(
  jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id)::text
  || coalesce((SELECT E'\\n' || jsonb_build_array(a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, ${utc('a.inserted_at')})::text
               FROM ${s('audit_actions')} AS a WHERE a.id = ${t}.action_id), '')
  || coalesce((SELECT string_agg(E'\\n' || jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.table_pk, c.previous_pk, c.data_after, c.changed_fields, c.changed_from, ${utc('c.captured_at')})::text, '' ORDER BY c.id)
               FROM ${s('audit_changes')} AS c WHERE c.transaction_id = ${t}.id), ''),
  'UTF8'))`;
  return `sha256(
  sha256(convert_to(jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id, ${nullFlagsSql([`${t}.meta`, `${t}.actor_ref`])})::text, 'UTF8'))
  || CASE WHEN ${t}.action_id IS NULL THEN ${EMPTY_SHA256}
          ELSE sha256(coalesce((SELECT string_agg(${actionHashSql('a')}, ''::bytea ORDER BY a.inserted_at, a.id)
                                FROM ${s('audit_actions')} AS a WHERE a.transaction_id = ${t}.id), ''::bytea)) END
  || sha256(coalesce(${d}.change_hashes, ''::bytea)))`;
}

/** SQL (bytea): the content hash of seal `seal` recomputed from transaction row `t` (and digest `d`), in the seal's own format. */
export function sealContentForSql(auditSchema: string, seal = 's', t = 't', d = 'd'): string {
  return `CASE ${seal}.format WHEN 1 THEN ${sealContentSql(auditSchema, t, 1)} ELSE ${sealContentSql(auditSchema, t, 2, d)} END`;
}

/**
 * The chain: seal n's hash is SHA-256 of seal n-1's hash (32 zero bytes
 * before the first), the text `<n>:<transaction id>` (`purge` for a purge
 * seal), and the content hash. From v5 the text also names the seal's
 * format and change count, `<n>:<id>:<format>:<count>`, so neither can be
 * changed afterwards (a seal turned to format 1 would otherwise be verified
 * by the older, looser rules). Written here for SQL; the integrity check
 * recomputes it in Node the same way (chainLinkText).
 */
export function chainStepSql(
  previous: string,
  seq: string,
  transactionId: string,
  content: string,
  format: string,
  changeCount: string,
): string {
  return `sha256(${previous} || convert_to((${seq})::text || ':' || (${transactionId})::text || ':' || (${format})::text || ':' || (${changeCount})::text, 'UTF8') || ${content})`;
}

/** The text of a chain link, as chainStepSql writes it (format 1 seals: `<n>:<id>` only). */
export function chainLinkText(seq: number, transactionId: string | null, format: number, changeCount: number): string {
  const id = transactionId ?? 'purge';
  return format === 1 ? `${seq}:${id}` : `${seq}:${id}:${format}:${changeCount}`;
}

/**
 * Tamper evidence (README "Trust"): the seal tables and the sealer.
 *
 * Sealing happens after commit, by `threadline_seal()`, not in the audited
 * transaction: a chain extended at commit makes every audited transaction
 * wait on one lock (docs/trust.md has the measured cost of both). The sealer
 * seals every audit transaction that committed since its last run, in the
 * order it finds them; it finds them by `txid` at or after the previous
 * run's horizon (the oldest transaction still running then), so one that
 * started earlier and committed later is sealed by a later run, never
 * skipped. A BRIN index on `txid` makes that lookup cheap and costs writes
 * next to nothing.
 *
 * - Its argument is checked: a count outside 1..SEAL_BATCH_MAX is refused
 *   (a negative one would have moved the horizon past what it never read).
 * - A horizon ahead of the oldest running transaction cannot happen on one
 *   server (txids only grow): the database was restored into another
 *   cluster, whose txids start again low. The sealer then looks at every
 *   unsealed transaction once, and from then on only at txids the server
 *   has handed out, so what the old cluster left stays sealed and what the
 *   new one writes is sealed too.
 * - Sealers take a lock on the seals table that the app's role cannot take
 *   (it holds SELECT only), and wait for it at most
 *   SEAL_LOCK_TIMEOUT_SECONDS, then fail naming the session that holds it.
 */
export function sealSchemaSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  const fn = s(SEAL_FUNCTION);
  const seals = s(SEALS_TABLE);
  return `CREATE TABLE IF NOT EXISTS ${seals} (
  seq bigint PRIMARY KEY,
  transaction_id uuid UNIQUE,
  change_count int NOT NULL,
  content_sha256 bytea NOT NULL,
  chain_sha256 bytea NOT NULL,
  horizon bigint NOT NULL,
  sealed_at timestamptz NOT NULL
);
-- v5: how content_sha256 was computed (sealContentSql); seals made before v5 keep 1.
ALTER TABLE ${seals} ADD COLUMN IF NOT EXISTS format smallint NOT NULL DEFAULT 1;
-- v5: a seal is a transaction's, or a purge's (no transaction: its content hashes its ledger rows).
ALTER TABLE ${seals} ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'transaction' CHECK (kind IN ('transaction', 'purge'));
ALTER TABLE ${seals} ALTER COLUMN transaction_id DROP NOT NULL;
CREATE TABLE IF NOT EXISTS ${s(PURGED_TABLE)} (
  purge_seq bigint NOT NULL,
  seal_seq bigint NOT NULL,
  change_id bigint,
  change_sha256 bytea
);
CREATE INDEX IF NOT EXISTS audit_purged_seal_idx ON ${s(PURGED_TABLE)} (seal_seq);
CREATE INDEX IF NOT EXISTS audit_purged_purge_idx ON ${s(PURGED_TABLE)} (purge_seq);
CREATE TABLE IF NOT EXISTS ${s(CHECKPOINTS_TABLE)} (
  seq bigint PRIMARY KEY,
  chain_sha256 bytea NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_transactions_txid_brin ON ${s('audit_transactions')} USING brin (txid);
${jsonbHashFunctionSql(auditSchema)}
CREATE OR REPLACE FUNCTION ${fn}(max_transactions int DEFAULT ${SEAL_BATCH})
RETURNS TABLE (sealed int, pending boolean, last_seq bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '${SEAL_LOCK_TIMEOUT_SECONDS}s'
AS $threadline$
DECLARE
  previous record;
  holder record;
  horizon_now bigint;
  from_txid bigint;
  upto_txid bigint;
  own_txid bigint;
  batch uuid[];
  more boolean;
  n bigint;
  chain bytea;
  candidate record;
  content bytea;
  changes int;
  fmt smallint;
  done int := 0;
BEGIN
  IF max_transactions IS NULL OR max_transactions < 1 OR max_transactions > ${SEAL_BATCH_MAX} THEN
    RAISE EXCEPTION 'threadline: threadline_seal(max_transactions) takes a whole number from 1 to ${SEAL_BATCH_MAX} (got %)', coalesce(max_transactions::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  BEGIN
    LOCK TABLE ${seals} IN SHARE ROW EXCLUSIVE MODE;
  EXCEPTION WHEN lock_not_available THEN
    SELECT l.pid, a.xact_start, a.usename INTO holder
    FROM pg_catalog.pg_locks AS l LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'relation' AND l.relation = '${seals.replace(/'/g, "''")}'::regclass AND l.granted
      AND l.mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock', 'RowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock')
      AND l.pid <> pg_backend_pid()
    ORDER BY a.xact_start NULLS LAST LIMIT 1;
    RAISE EXCEPTION 'threadline: the sealer is busy: held by pid % (role %) since %; waited ${SEAL_LOCK_TIMEOUT_SECONDS} s. Sealing resumes when that transaction ends (SELECT pg_terminate_backend(%) ends it)',
      coalesce(holder.pid::text, '?'), coalesce(holder.usename::text, '?'), coalesce(to_char(holder.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'a time hidden from ' || current_user || ' (grant it pg_read_all_stats to see it)'), coalesce(holder.pid::text, '?')
      USING ERRCODE = 'lock_not_available';
  END;
  SELECT s.seq, s.chain_sha256, s.horizon INTO previous FROM ${seals} AS s ORDER BY s.seq DESC LIMIT 1;
  from_txid := coalesce(previous.horizon, 0);
  -- Taken before the candidates are read: every transaction older than this has ended, and the
  -- candidate query (a later snapshot) sees all of them that committed.
  horizon_now := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
  -- The caller's own transaction is never a candidate: it has not committed (and may write more).
  own_txid := txid_current();
  upto_txid := own_txid;
  IF from_txid > horizon_now THEN
    -- Restored into another cluster: look at every unsealed transaction once.
    from_txid := 0;
    upto_txid := NULL;
  END IF;
  -- The batch is picked first, so only its transactions are hashed.
  SELECT array_agg(b.id ORDER BY b.occurred_at, b.id) INTO batch
  FROM (SELECT t.id, t.occurred_at FROM ${s('audit_transactions')} AS t
        WHERE t.txid >= from_txid AND (upto_txid IS NULL OR t.txid <= upto_txid) AND t.txid <> own_txid
          AND NOT EXISTS (SELECT 1 FROM ${seals} AS x WHERE x.transaction_id = t.id)
          AND NOT ${openBaselineSql()}
        ORDER BY t.occurred_at, t.id
        LIMIT max_transactions + 1) AS b;
  more := coalesce(cardinality(batch), 0) > max_transactions;
  IF more THEN batch := batch[1:max_transactions]; END IF;
  n := coalesce(previous.seq, 0);
  chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
  BEGIN
    FOR candidate IN
      SELECT t.id, ${sealContentSql(auditSchema)} AS content, d.changes
      FROM unnest(batch) WITH ORDINALITY AS b(id, ord)
        JOIN ${s('audit_transactions')} AS t ON t.id = b.id
        CROSS JOIN LATERAL ${changeDigestSql(auditSchema)} AS d
      ORDER BY b.ord
    LOOP
      n := n + 1;
      chain := ${chainStepSql('chain', 'n', 'candidate.id', 'candidate.content', String(SEAL_FORMAT), 'candidate.changes')};
      INSERT INTO ${seals} (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
      VALUES (n, candidate.id, candidate.changes, candidate.content, chain, from_txid, clock_timestamp(), ${SEAL_FORMAT});
    END LOOP;
  EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
    -- A change too large to write as text: seal this batch one transaction at a time, any such one
    -- in format ${SEAL_FORMAT_LARGE} (its seals above were rolled back with the block).
    n := coalesce(previous.seq, 0);
    chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
    FOR candidate IN SELECT b.id FROM unnest(batch) WITH ORDINALITY AS b(id, ord) ORDER BY b.ord LOOP
      BEGIN
        fmt := ${SEAL_FORMAT};
        SELECT ${sealContentSql(auditSchema)}, d.changes INTO content, changes
        FROM ${s('audit_transactions')} AS t CROSS JOIN LATERAL ${changeDigestSql(auditSchema)} AS d WHERE t.id = candidate.id;
      EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
        fmt := ${SEAL_FORMAT_LARGE};
        SELECT ${sealContentSql(auditSchema, 't', SEAL_FORMAT_LARGE)}, d.changes INTO content, changes
        FROM ${s('audit_transactions')} AS t CROSS JOIN LATERAL ${changeDigestSql(auditSchema, 't.id', SEAL_FORMAT_LARGE)} AS d
        WHERE t.id = candidate.id;
      END;
      n := n + 1;
      chain := ${chainStepSql('chain', 'n', 'candidate.id', 'content', 'fmt', 'changes')};
      INSERT INTO ${seals} (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
      VALUES (n, candidate.id, changes, content, chain, from_txid, clock_timestamp(), fmt);
    END LOOP;
  END;
  done := n - coalesce(previous.seq, 0);
  IF more THEN
    -- More remain: keep the old horizon so the next call finds them.
    RETURN QUERY SELECT done, true, n;
    RETURN;
  END IF;
  IF done > 0 THEN
    UPDATE ${seals} AS s SET horizon = horizon_now WHERE s.seq = n;
  ELSIF previous.seq IS NOT NULL AND previous.horizon IS DISTINCT FROM horizon_now THEN
    UPDATE ${seals} AS s SET horizon = horizon_now WHERE s.seq = previous.seq;
  END IF;
  RETURN QUERY SELECT done, false, n;
END
$threadline$;
REVOKE ALL ON FUNCTION ${fn}(int) FROM PUBLIC;
COMMENT ON FUNCTION ${fn}(int) IS ${literal('Seals committed audit transactions into the hash chain (Threadline, README "Trust")')};
${recordPurgeFunctionSql(auditSchema)}`;
}

/**
 * `threadline_jsonb_sha256(jsonb)`: a jsonb value's hash built value by
 * value (an object's keys in byte order, each key and value hashed; an
 * array's elements in order; a string's own text, not its escaped JSON), so
 * no text over 1 GB is ever built. Slower than hashing the text: only
 * transactions sealed in SEAL_FORMAT_LARGE use it.
 */
function jsonbHashFunctionSql(auditSchema: string): string {
  const fn = qualified(auditSchema, JSONB_HASH_FUNCTION);
  return `CREATE OR REPLACE FUNCTION ${fn}(j jsonb, depth int DEFAULT 0) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $threadline$
  -- Below ${JSONB_HASH_DEPTH} levels a value is hashed as its text: what is that deep is small, and the recursion
  -- stays far from PostgreSQL's stack limit.
  SELECT CASE WHEN depth >= ${JSONB_HASH_DEPTH} THEN sha256(convert_to('t', 'UTF8') || convert_to(j::text, 'UTF8'))
    ELSE CASE jsonb_typeof(j)
    WHEN 'object' THEN sha256(convert_to('o', 'UTF8') || coalesce((
      SELECT string_agg(sha256(convert_to(e.key, 'UTF8')) || ${fn}(e.value, depth + 1), ''::bytea ORDER BY e.key COLLATE "C")
      FROM jsonb_each(j) AS e), ''::bytea))
    WHEN 'array' THEN sha256(convert_to('a', 'UTF8') || coalesce((
      SELECT string_agg(${fn}(e.value, depth + 1), ''::bytea ORDER BY e.ord)
      FROM jsonb_array_elements(j) WITH ORDINALITY AS e(value, ord)), ''::bytea))
    WHEN 'string' THEN sha256(convert_to('s', 'UTF8') || convert_to(j #>> '{}', 'UTF8'))
    ELSE sha256(convert_to(j::text, 'UTF8'))
  END END
$threadline$;
`;
}

/**
 * SQL (bytea): the content of purge seal `seq` (an SQL expression): SHA-256
 * of its ledger rows, one line each, `<seal>:<change id or *>:<hash hex>`,
 * in seal then change order.
 */
export function purgeContentSql(auditSchema: string, seq: string): string {
  return `sha256(convert_to(coalesce((SELECT string_agg(p.seal_seq::text || ':' || coalesce(p.change_id::text, '*') || ':' || coalesce(encode(p.change_sha256, 'hex'), ''), E'\\n' ORDER BY p.seal_seq, p.change_id NULLS FIRST)
  FROM ${qualified(auditSchema, PURGED_TABLE)} AS p WHERE p.purge_seq = ${seq}), ''), 'UTF8'))`;
}

/**
 * `threadline_record_purge(removed, emptied)`: called by a purge
 * batch in its own transaction, after its deletes. `removed` is a jsonb
 * array of `[change id, transaction id, change hash hex]` of the changes it
 * deleted, `emptied` the transactions it deleted. For those already sealed
 * it writes the ledger rows (PURGED_TABLE) and appends a purge seal to the
 * chain, under the sealers' lock. Returns how many ledger rows it wrote.
 */
function recordPurgeFunctionSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  const fn = s(RECORD_PURGE_FUNCTION);
  const seals = s(SEALS_TABLE);
  return `CREATE OR REPLACE FUNCTION ${fn}(removed jsonb, emptied uuid[])
RETURNS int
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '${SEAL_LOCK_TIMEOUT_SECONDS}s'
AS $threadline$
DECLARE
  previous record;
  n bigint;
  whole int;
  partial int;
  content bytea;
BEGIN
  IF jsonb_typeof(removed) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge(removed) takes a jsonb array of [change id, transaction id, hash] (got %)', left(coalesce(removed::text, 'NULL'), 80)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOCK TABLE ${seals} IN SHARE ROW EXCLUSIVE MODE;
  -- It records what was removed, nothing else: every change and transaction named must be gone, and a
  -- change of a transaction sealed from v5 on needs its hash (the purge takes the sealers' lock before
  -- it deletes, so none is sealed in between).
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(removed) AS r JOIN ${s('audit_changes')} AS c ON c.id = (r->>0)::bigint)
     OR EXISTS (SELECT 1 FROM ${s('audit_transactions')} AS t WHERE t.id = ANY (coalesce(emptied, '{}'))) THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge records only changes and transactions already deleted; some are still there'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(removed) AS r JOIN ${seals} AS x ON x.transaction_id = (r->>1)::uuid
             WHERE x.format <> 1 AND r->>2 IS NULL AND NOT ((r->>1)::uuid = ANY (coalesce(emptied, '{}')))) THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge needs the hash of each removed change of a transaction sealed from v5 on (it was sealed after the delete read it)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT x.seq, x.chain_sha256, x.horizon INTO previous FROM ${seals} AS x ORDER BY x.seq DESC LIMIT 1;
  IF previous.seq IS NULL THEN RETURN 0; END IF;
  n := previous.seq + 1;
  INSERT INTO ${s(PURGED_TABLE)} (purge_seq, seal_seq, change_id, change_sha256)
  SELECT n, x.seq, NULL, NULL FROM ${seals} AS x WHERE x.transaction_id = ANY (coalesce(emptied, '{}'));
  GET DIAGNOSTICS whole = ROW_COUNT;
  INSERT INTO ${s(PURGED_TABLE)} (purge_seq, seal_seq, change_id, change_sha256)
  SELECT n, x.seq, (r->>0)::bigint, decode(r->>2, 'hex')
  FROM jsonb_array_elements(removed) AS r JOIN ${seals} AS x ON x.transaction_id = (r->>1)::uuid
  WHERE NOT ((r->>1)::uuid = ANY (coalesce(emptied, '{}')));
  GET DIAGNOSTICS partial = ROW_COUNT;
  IF whole + partial = 0 THEN RETURN 0; END IF;
  content := ${purgeContentSql(auditSchema, 'n')};
  INSERT INTO ${seals} (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format, kind)
  VALUES (n, NULL, whole + partial, content, ${chainStepSql('previous.chain_sha256', 'n', `'purge'`, 'content', String(SEAL_FORMAT), 'whole + partial')}, previous.horizon, clock_timestamp(), ${SEAL_FORMAT}, 'purge');
  RETURN whole + partial;
END
$threadline$;
REVOKE ALL ON FUNCTION ${fn}(jsonb, uuid[]) FROM PUBLIC;
`;
}

/**
 * SQL: the chain's head, the seal with the highest number (`seq` as text,
 * `chain` hex, `sealed_at` ISO 8601 UTC). The one query every reader of
 * "the latest seal" uses: ordered by the bigint, never by its text ('9' > '12').
 */
export function sealHeadSql(auditSchema: string): string {
  return `SELECT s.seq::text AS seq, encode(s.chain_sha256, 'hex') AS chain, ${isoUtc('s.sealed_at')} AS sealed_at
FROM ${qualified(auditSchema, SEALS_TABLE)} AS s ORDER BY s.seq DESC LIMIT 1`;
}

/** Drops what sealSchemaSql creates. */
export function dropSealSchemaSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  return `DROP FUNCTION IF EXISTS ${s(RECORD_PURGE_FUNCTION)}(jsonb, uuid[]);
DROP FUNCTION IF EXISTS ${s(JSONB_HASH_FUNCTION)}(jsonb, int);
DROP TABLE IF EXISTS ${s(PURGED_TABLE)};
DROP FUNCTION IF EXISTS ${s(SEAL_FUNCTION)}(int);
DROP TABLE IF EXISTS ${s(CHECKPOINTS_TABLE)};
DROP TABLE IF EXISTS ${s(SEALS_TABLE)};
DROP INDEX IF EXISTS ${s('audit_transactions_txid_brin')};
`;
}

import { isoUtc, literal, qualified } from '@threadline/core';
import { BASELINE_SOURCE } from '../trigger/snapshot-sql';

/** Seals audit transactions into the hash chain; SECURITY DEFINER, so the app's role needs only EXECUTE. */
export const SEAL_FUNCTION = 'threadline_seal';
/** One row per sealed audit transaction, in chain order. */
export const SEALS_TABLE = 'audit_seals';
/** Where retention cut the chain: verification starts after the latest one. */
export const CHECKPOINTS_TABLE = 'audit_seal_checkpoints';
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

const utc = (column: string) => `to_jsonb(${column} AT TIME ZONE 'UTC')`;

/** SQL (bytea): SHA-256 of one change row `c` in canonical form (jsonb text: key order and spacing are fixed). */
export function changeHashSql(c = 'c'): string {
  return `sha256(convert_to(jsonb_build_array(${c}.id, ${c}.table_schema, ${c}.table_name, ${c}.op, ${c}.table_pk, ${c}.previous_pk, ${c}.data_after, ${c}.changed_fields, ${c}.changed_from, ${utc(`${c}.captured_at`)})::text, 'UTF8'))`;
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
export function changeDigestSql(auditSchema: string, transactionId = 't.id'): string {
  return `(SELECT count(*)::int AS changes, string_agg(${changeHashSql('c')}, ''::bytea ORDER BY c.id) AS change_hashes
  FROM ${qualified(auditSchema, 'audit_changes')} AS c WHERE c.transaction_id = ${transactionId})`;
}

/**
 * sha256 of no bytes: the actions part of a transaction that has none. Written with decode(), not a
 * '\\x...' literal, whose meaning a session's standard_conforming_strings would change.
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
 * a transaction with none has no `action_id`, which is part of `row`) and
 * the change hashes those of its changes in id order (changeHashSql).
 * Hashing each change on its own keeps memory bounded by 32 bytes a change,
 * whatever the size of the images. Times are written in UTC, so the
 * session's TimeZone and DateStyle do not matter.
 *
 * The same expression seals (threadline_seal) and verifies (the integrity
 * check), so what is hashed is defined once. `format` 1 gives the
 * expression seals of schema v4 and before were made with (it reads the
 * changes itself, not `d`).
 */
export function sealContentSql(auditSchema: string, t = 't', format: 1 | 2 = SEAL_FORMAT, d = 'd'): string {
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
  sha256(convert_to(jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id)::text, 'UTF8'))
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
 * before the first), the text `<n>:<transaction id>`, and the content hash.
 * Written here for SQL; the integrity check recomputes it in Node the same way.
 */
export function chainStepSql(previous: string, seq: string, transactionId: string, content: string): string {
  return `sha256(${previous} || convert_to(${seq}::text || ':' || ${transactionId}::text, 'UTF8') || ${content})`;
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
  transaction_id uuid NOT NULL UNIQUE,
  change_count int NOT NULL,
  content_sha256 bytea NOT NULL,
  chain_sha256 bytea NOT NULL,
  horizon bigint NOT NULL,
  sealed_at timestamptz NOT NULL
);
-- v5: how content_sha256 was computed (sealContentSql); seals made before v5 keep 1.
ALTER TABLE ${seals} ADD COLUMN IF NOT EXISTS format smallint NOT NULL DEFAULT 1;
CREATE TABLE IF NOT EXISTS ${s(CHECKPOINTS_TABLE)} (
  seq bigint PRIMARY KEY,
  chain_sha256 bytea NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_transactions_txid_brin ON ${s('audit_transactions')} USING brin (txid);
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
  n bigint;
  chain bytea;
  candidate record;
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
      coalesce(holder.pid::text, '?'), coalesce(holder.usename::text, '?'), coalesce(to_char(holder.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'an unknown time'), coalesce(holder.pid::text, '?')
      USING ERRCODE = 'lock_not_available';
  END;
  SELECT s.seq, s.chain_sha256, s.horizon INTO previous FROM ${seals} AS s ORDER BY s.seq DESC LIMIT 1;
  n := coalesce(previous.seq, 0);
  chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
  from_txid := coalesce(previous.horizon, 0);
  -- Taken before the candidates are read: every transaction older than this has ended, and the
  -- candidate query (a later snapshot) sees all of them that committed.
  horizon_now := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
  upto_txid := txid_current();
  IF from_txid > horizon_now THEN
    -- Restored into another cluster: look at every unsealed transaction once.
    from_txid := 0;
    upto_txid := NULL;
  END IF;
  FOR candidate IN
    -- the batch is picked first, so only its transactions are hashed
    SELECT t.id, ${sealContentSql(auditSchema)} AS content, d.changes
    FROM (SELECT t.* FROM ${s('audit_transactions')} AS t
          WHERE t.txid >= from_txid AND (upto_txid IS NULL OR t.txid <= upto_txid)
            AND NOT EXISTS (SELECT 1 FROM ${seals} AS x WHERE x.transaction_id = t.id)
            AND NOT ${openBaselineSql()}
          ORDER BY t.occurred_at, t.id
          LIMIT max_transactions + 1) AS t
      CROSS JOIN LATERAL ${changeDigestSql(auditSchema)} AS d
    ORDER BY t.occurred_at, t.id
  LOOP
    IF done = max_transactions THEN
      -- More remain: keep the old horizon so the next call finds them.
      RETURN QUERY SELECT done, true, n;
      RETURN;
    END IF;
    n := n + 1;
    done := done + 1;
    chain := ${chainStepSql('chain', 'n', 'candidate.id', 'candidate.content')};
    INSERT INTO ${seals} (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
    VALUES (n, candidate.id, candidate.changes, candidate.content, chain, from_txid, clock_timestamp(), ${SEAL_FORMAT});
  END LOOP;
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
  return `DROP FUNCTION IF EXISTS ${s(SEAL_FUNCTION)}(int);
DROP TABLE IF EXISTS ${s(CHECKPOINTS_TABLE)};
DROP TABLE IF EXISTS ${s(SEALS_TABLE)};
DROP INDEX IF EXISTS ${s('audit_transactions_txid_brin')};
`;
}

import { literal, qualified } from '@threadline/core';
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

/** The advisory lock that keeps two sealers (or a sealer and a purge's checkpoint) from interleaving. */
export const SEAL_LOCK_KEY = 7263_0415;

/**
 * SQL (bytea): the SHA-256 of one audit transaction's content in canonical
 * form, for the `audit_transactions` row aliased `t`: the row, its linked
 * action, and its changes in id order, each as a jsonb array (jsonb's text
 * form is canonical: key order and spacing are fixed; times are written in
 * UTC, so the session's TimeZone and DateStyle do not matter).
 *
 * The same expression seals (threadline_seal) and verifies (the integrity
 * check), so what is hashed is defined once.
 */
export function sealContentSql(auditSchema: string, t = 't'): string {
  const s = (name: string) => qualified(auditSchema, name);
  const utc = (column: string) => `to_jsonb(${column} AT TIME ZONE 'UTC')`;
  return `sha256(convert_to(
  jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id)::text
  || coalesce((SELECT E'\\n' || jsonb_build_array(a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, ${utc('a.inserted_at')})::text
               FROM ${s('audit_actions')} AS a WHERE a.id = ${t}.action_id), '')
  || coalesce((SELECT string_agg(E'\\n' || jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.table_pk, c.previous_pk, c.data_after, c.changed_fields, c.changed_from, ${utc('c.captured_at')})::text, '' ORDER BY c.id)
               FROM ${s('audit_changes')} AS c WHERE c.transaction_id = ${t}.id), ''),
  'UTF8'))`;
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
 */
export function sealSchemaSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  const fn = s(SEAL_FUNCTION);
  return `CREATE TABLE IF NOT EXISTS ${s(SEALS_TABLE)} (
  seq bigint PRIMARY KEY,
  transaction_id uuid NOT NULL UNIQUE,
  change_count int NOT NULL,
  content_sha256 bytea NOT NULL,
  chain_sha256 bytea NOT NULL,
  horizon bigint NOT NULL,
  sealed_at timestamptz NOT NULL
);
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
AS $threadline$
DECLARE
  previous record;
  horizon_now bigint;
  from_txid bigint;
  n bigint;
  chain bytea;
  candidate record;
  done int := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(${SEAL_LOCK_KEY});
  SELECT s.seq, s.chain_sha256, s.horizon INTO previous FROM ${s(SEALS_TABLE)} AS s ORDER BY s.seq DESC LIMIT 1;
  n := coalesce(previous.seq, 0);
  chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
  from_txid := coalesce(previous.horizon, 0);
  -- Taken before the candidates are read: every transaction older than this has ended, and the
  -- candidate query (a later snapshot) sees all of them that committed.
  horizon_now := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
  FOR candidate IN
    SELECT t.id, ${sealContentSql(auditSchema)} AS content,
           (SELECT count(*) FROM ${s('audit_changes')} AS c WHERE c.transaction_id = t.id)::int AS changes
    FROM ${s('audit_transactions')} AS t
    WHERE t.txid >= from_txid
      AND NOT EXISTS (SELECT 1 FROM ${s(SEALS_TABLE)} AS x WHERE x.transaction_id = t.id)
      AND NOT ${openBaselineSql()}
    ORDER BY t.occurred_at, t.id
    LIMIT max_transactions + 1
  LOOP
    IF done = max_transactions THEN
      -- More remain: keep the old horizon so the next call finds them.
      RETURN QUERY SELECT done, true, n;
      RETURN;
    END IF;
    n := n + 1;
    done := done + 1;
    chain := ${chainStepSql('chain', 'n', 'candidate.id', 'candidate.content')};
    INSERT INTO ${s(SEALS_TABLE)} (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at)
    VALUES (n, candidate.id, candidate.changes, candidate.content, chain, from_txid, clock_timestamp());
  END LOOP;
  IF done > 0 THEN
    UPDATE ${s(SEALS_TABLE)} AS s SET horizon = horizon_now WHERE s.seq = n;
  ELSIF previous.seq IS NOT NULL AND previous.horizon < horizon_now THEN
    UPDATE ${s(SEALS_TABLE)} AS s SET horizon = horizon_now WHERE s.seq = previous.seq;
  END IF;
  RETURN QUERY SELECT done, false, n;
END
$threadline$;
REVOKE ALL ON FUNCTION ${fn}(int) FROM PUBLIC;
COMMENT ON FUNCTION ${fn}(int) IS ${literal('Seals committed audit transactions into the hash chain (Threadline, README "Trust")')};
`;
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

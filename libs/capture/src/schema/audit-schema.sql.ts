import {
  ACTOR_ID_MAX_LENGTH,
  ACTOR_ID_TRIM_CLASS,
  ACTOR_RULE,
  ACTOR_TYPES,
  CONTEXT_ID_MAX_BYTES,
  auditSchemaSetting,
  cachedTransactionSql,
  cachedTransactionIdSql,
  ident,
  literal,
  qualified,
  textArray,
  transactionCacheSetting,
  transactionCacheMatchesSql,
  transactionCacheValueSql,
} from '@threadline/core';
import { CAPTURE_FUNCTION, captureFunctionsSql, dropCaptureFunctionsSql } from './capture-functions.sql';
import { dropLeaseSchemaSql, leaseSchemaSql } from './lease';
import { dropSealSchemaSql, sealSchemaSql } from './seal.sql';

export const TRANSACTION_FUNCTION = 'threadline_transaction_id';

/** Settings the application sets per transaction (`set_config(name, value, true)`) and the trigger reads. */
export const ACTOR_SETTING = 'threadline.actor_ref';
export const CORRELATION_SETTING = 'threadline.correlation_id';
export const REQUEST_SETTING = 'threadline.request_id';
/**
 * The actor setting's text when the transaction's audit row was created: a later statement under
 * another actor is refused, since a transaction records one actor (transaction-local).
 */
export const TRANSACTION_ACTOR_SETTING = 'threadline.transaction_actor';
/** Records an action (`audit_actions`) with the owner's rights: the app's role holds EXECUTE on it, not INSERT. */
export const RECORD_ACTION_FUNCTION = 'threadline_record_action';

/**
 * PL/pgSQL: reads the actor text in `textVar` into the jsonb `jsonVar` and
 * raises when it is not valid JSON or not an actor by the same rule ActorRef
 * enforces (ACTOR_RULE), naming `source` (the setting or parameter). What it
 * stores is what `ActorRef.parse(text).serialize()` gives: `{"type", "id"}`
 * only, the id trimmed as JavaScript's trim() does (a whole number id
 * written as its digits), no id for anonymous. So every shape either side
 * accepts, the other accepts too and stores the same way.
 */
function actorCheckSql(textVar: string, jsonVar: string, source: string): string {
  const id = `${jsonVar}->'id'`;
  const field = (key: string) => `(${jsonVar}->>'${key}')`;
  const plainEdge = (expr: string) => `ascii(${expr}) BETWEEN 33 AND 126`;
  return `  IF ${textVar} IS NOT NULL THEN
    BEGIN
      ${jsonVar} := ${textVar}::jsonb;
    EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR program_limit_exceeded OR numeric_value_out_of_range THEN
      RAISE EXCEPTION 'threadline: % is not valid JSON; expected {"type": ..., "id": ...}', '${source}'
        USING ERRCODE = 'invalid_parameter_value', HINT = ${literal(ACTOR_RULE)};
    END;
    -- Fast path: exactly what ActorRef.serialize() writes, {"type":"user","id":"42"} with an id that
    -- needs no escape and starts and ends with a printable ASCII character. The text equals the object
    -- rebuilt from what it parsed to, so no key repeats and it is already the stored form. The full
    -- check below is for everything else (its key count alone measured 10-12 us a transaction).
    IF ${textVar} = '{"type":"anonymous"}'
       OR (${textVar} = '{"type":"' || ${field('type')} || '","id":"' || ${field('id')} || '"}'
           AND ${field('type')} = ANY (${textArray(ACTOR_TYPES.filter((type) => type !== 'anonymous'))})
           AND ${plainEdge(field('id'))} AND ${plainEdge(`right(${field('id')}, 1)`)}
           AND length(${field('id')}) <= ${ACTOR_ID_MAX_LENGTH}) THEN
      NULL;
    ELSE
      IF jsonb_typeof(${jsonVar}) = 'object'
         AND (SELECT count(*) FROM json_object_keys(${textVar}::json)) <> (SELECT count(*) FROM jsonb_object_keys(${jsonVar})) THEN
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): a key appears twice; %', '${source}', left(${textVar}, 120), ${literal(ACTOR_RULE)}
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF jsonb_typeof(${jsonVar}) IS DISTINCT FROM 'object'
         OR jsonb_typeof(${jsonVar}->'type') IS DISTINCT FROM 'string'
         OR NOT (${jsonVar}->>'type' = ANY (${textArray(ACTOR_TYPES)})) THEN
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', '${source}', left(${textVar}, 120), ${literal(ACTOR_RULE)}
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF ${jsonVar}->>'type' = 'anonymous' THEN
        ${jsonVar} := '{"type": "anonymous"}';
      ELSE
        ${jsonVar} := jsonb_build_object('type', ${jsonVar}->>'type', 'id',
          CASE jsonb_typeof(${id})
            WHEN 'string' THEN regexp_replace(${jsonVar}->>'id', ${literal(`^[${ACTOR_ID_TRIM_CLASS}]+|[${ACTOR_ID_TRIM_CLASS}]+$`)}, '', 'g')
            WHEN 'number' THEN CASE WHEN (${id})::numeric = trunc((${id})::numeric) AND abs((${id})::numeric) <= ${Number.MAX_SAFE_INTEGER}
                                    THEN trunc((${id})::numeric)::text END
          END);
        IF ${jsonVar}->>'id' IS NULL OR ${jsonVar}->>'id' = '' OR length(${jsonVar}->>'id') > ${ACTOR_ID_MAX_LENGTH} THEN
          RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', '${source}', left(${textVar}, 120), ${literal(ACTOR_RULE)}
            USING ERRCODE = 'invalid_parameter_value';
        END IF;
      END IF;
    END IF;
  END IF;
`;
}

/**
 * The audit schema: three tables, their indexes, and the function that
 * creates the `audit_transactions` row once per database transaction.
 *
 * Why it looks like this (figures in docs/capture-cost.md):
 * - `audit_changes.id` is a bigint identity, not a random UUID: UUIDs on
 *   every change row cost 20-40% on bulk writes and give no ordering.
 * - Indexes are the ones a shipped query uses; each extra index costs every write
 *   (a (captured_at, id) index measured 1.32x -> 1.47x on the OLTP benchmark):
 *   the primary key (retention walks it oldest first: ids come from a sequence
 *   at capture time) and (transaction_id) for a transaction's changes and the
 *   empty-transaction checks.
 * - No foreign key from audit_changes to audit_transactions: the RI check
 *   costs every change row a lookup, and only the trigger writes these rows,
 *   always after creating the transaction row in the same transaction.
 *   Retention deletes changes before their transactions.
 * - `op` is insert, update, delete or truncate from the triggers (a truncate
 *   is one change with key `{}` and `data_after` `{"rowCount": n}`: how many
 *   rows the table held, and `"partition"` when a partition was emptied), or `snapshot`: the
 *   image of a row that existed before capture, written by a baseline
 *   (the `baseline` command) under one transaction whose `source` is
 *   'threadline:baseline', or of every row after DDL rewrote a column's
 *   values (threadline_snapshot_rewritten, in the DDL's transaction). The allowed values are a domain, not a table CHECK:
 *   PostgreSQL parses and plans a table's CHECK expressions again in every
 *   statement that inserts, which cost each audited single-row statement
 *   4-8 us (about a sixth of its audit overhead); a domain's check is planned
 *   once per session and cached.
 * - The transaction row is not unique on `txid` alone: txids restart after a
 *   logical restore into a new cluster. The id is the key; `txid` is kept for
 *   correlation with PostgreSQL logs.
 */
/** Bumped when the install SQL changes; part of the install migration's marker. */
export const AUDIT_SCHEMA_VERSION = 7;

/**
 * Indexes for the exploration queries (timeline by time, table, actor and
 * correlation; row history; actor history). They make those queries use an
 * index at any size, and cost every audited write (see docs/capture-cost.md
 * and docs/audit-indexing.md); `capture.queryIndexes: false` leaves them out for write-heavy
 * deployments that only stream exports.
 */
export function auditQueryIndexesSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  return `CREATE INDEX IF NOT EXISTS audit_changes_captured_at_idx ON ${s('audit_changes')} (captured_at, id);
CREATE INDEX IF NOT EXISTS audit_changes_table_captured_at_idx ON ${s('audit_changes')} (table_name, captured_at, id);
CREATE INDEX IF NOT EXISTS audit_changes_row_idx ON ${s('audit_changes')} (table_name, table_pk);
CREATE INDEX IF NOT EXISTS audit_changes_previous_pk_idx ON ${s('audit_changes')} (table_name, previous_pk) WHERE previous_pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_changes_truncate_idx ON ${s('audit_changes')} (table_name, id) WHERE op = 'truncate';
CREATE INDEX IF NOT EXISTS audit_transactions_actor_idx ON ${s('audit_transactions')} (actor_ref, occurred_at);
CREATE INDEX IF NOT EXISTS audit_transactions_correlation_idx ON ${s('audit_transactions')} (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_transactions_action_idx ON ${s('audit_transactions')} (action_id) WHERE action_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_actions_correlation_idx ON ${s('audit_actions')} (correlation_id) WHERE correlation_id IS NOT NULL;
`;
}

export function auditSchemaSql(
  auditSchema: string,
  options: { queryIndexes?: boolean } = {},
): { up: string; down: string } {
  const s = (name: string) => qualified(auditSchema, name);
  const createSchema = auditSchema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS ${ident(auditSchema)};\n`;
  const up = `-- Threadline audit schema
${createSchema}CREATE TABLE IF NOT EXISTS ${s('audit_actions')} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  actor_ref jsonb NOT NULL,
  status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error')),
  verb text,
  category text,
  reason text,
  comment text,
  correlation_id text,
  request_id text,
  job_id text,
  inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s('audit_transactions')} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  txid bigint NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  source text,
  meta jsonb,
  actor_ref jsonb,
  correlation_id text,
  request_id text,
  action_id uuid REFERENCES ${s('audit_actions')} (id) ON DELETE SET NULL
);
-- v5: the audit transaction an action was recorded in (sealed with it, with or without a write). Required
-- from v5 on (NOT VALID: actions recorded before keep none); only threadline_record_action writes actions.
ALTER TABLE ${s('audit_actions')} ADD COLUMN IF NOT EXISTS transaction_id uuid;
ALTER TABLE ${s('audit_actions')} DROP CONSTRAINT IF EXISTS audit_actions_transaction_required;
ALTER TABLE ${s('audit_actions')} ADD CONSTRAINT audit_actions_transaction_required CHECK (transaction_id IS NOT NULL) NOT VALID;
CREATE INDEX IF NOT EXISTS audit_actions_transaction_idx ON ${s('audit_actions')} (transaction_id) WHERE transaction_id IS NOT NULL;
DO $threadline$ BEGIN
  CREATE DOMAIN ${s('audit_change_op')} AS text CHECK (VALUE IN ('insert', 'update', 'delete', 'snapshot'));
EXCEPTION WHEN duplicate_object THEN NULL;
END $threadline$;
-- v3 adds 'truncate'. NOT VALID: rows already stored hold values the new check allows too, and an
-- upgrade then need not scan audit_changes (a fresh install ends in the same state).
ALTER DOMAIN ${s('audit_change_op')} DROP CONSTRAINT IF EXISTS audit_change_op_check;
ALTER DOMAIN ${s('audit_change_op')} ADD CONSTRAINT audit_change_op_check
  CHECK (VALUE IN ('insert', 'update', 'delete', 'snapshot', 'truncate')) NOT VALID;
CREATE TABLE IF NOT EXISTS ${s('audit_changes')} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id uuid NOT NULL,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  op ${s('audit_change_op')} NOT NULL,
  table_pk jsonb NOT NULL,
  previous_pk jsonb,
  data_after jsonb,
  changed_fields text[],
  changed_from jsonb,
  captured_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS audit_changes_transaction_id_idx ON ${s('audit_changes')} (transaction_id);
CREATE OR REPLACE FUNCTION ${s(TRANSACTION_FUNCTION)}() RETURNS uuid
LANGUAGE plpgsql
AS $threadline$
DECLARE
  xid bigint := txid_current();
  cached text := ${cachedTransactionSql(auditSchema)};
  actor text := nullif(current_setting('${ACTOR_SETTING}', true), '');
  correlation text := nullif(current_setting('${CORRELATION_SETTING}', true), '');
  request text := nullif(current_setting('${REQUEST_SETTING}', true), '');
  actor_json jsonb;
  tx_id uuid;
BEGIN
  -- One audit_transactions row per database transaction: later statements
  -- find it in a transaction-local setting (reset at commit or rollback,
  -- and rolled back with a savepoint together with the row itself).
  -- The session can write that setting too, so it is trusted only for a row
  -- this very transaction created (its txid and its start time): a value
  -- naming another transaction's row is ignored and this one gets its own.
  IF ${transactionCacheMatchesSql('cached', 'xid')} THEN
    tx_id := ${cachedTransactionIdSql('cached', 'xid')};
    IF EXISTS (SELECT 1 FROM ${s('audit_transactions')} AS t WHERE t.id = tx_id AND t.txid = xid AND t.occurred_at = now()) THEN
      -- One actor per transaction, recorded at its first audited write. The same text is the same actor
      -- (the fast path); another text may still name it (keys in another order, other spacing): it is read
      -- as the row's actor was, and a different actor is refused rather than ignored (its writes would be
      -- filed under the first actor, or under none).
      IF coalesce(actor, '') <> coalesce(current_setting('${auditSchemaSetting(TRANSACTION_ACTOR_SETTING, auditSchema)}', true), '') THEN
${actorCheckSql('actor', 'actor_json', ACTOR_SETTING).replace(/^/gm, '    ').trimEnd()}
        IF (SELECT t.actor_ref FROM ${s('audit_transactions')} AS t WHERE t.id = tx_id) IS DISTINCT FROM actor_json THEN
          RAISE EXCEPTION 'threadline: the actor of this transaction changed after its first audited write (from % to %); a transaction records one actor, the one set before its first write. Set the actor at the start of the transaction (the actor interceptor and ThreadlineContext.run do), or commit and start a new transaction for the new actor',
            coalesce(left(nullif(current_setting('${auditSchemaSetting(TRANSACTION_ACTOR_SETTING, auditSchema)}', true), ''), 200), 'none'), coalesce(left(actor, 200), 'none')
            USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
      END IF;
      RETURN tx_id;
    END IF;
  END IF;
${actorCheckSql('actor', 'actor_json', ACTOR_SETTING)}  -- The same bound as every other way in for these ids (a header, recordAction, a filter).
  IF octet_length(correlation) > ${CONTEXT_ID_MAX_BYTES} OR octet_length(request) > ${CONTEXT_ID_MAX_BYTES} THEN
    RAISE EXCEPTION 'threadline: % is % bytes; at most ${CONTEXT_ID_MAX_BYTES} are allowed',
      CASE WHEN octet_length(correlation) > ${CONTEXT_ID_MAX_BYTES} THEN '${CORRELATION_SETTING}' ELSE '${REQUEST_SETTING}' END,
      greatest(octet_length(correlation), octet_length(request))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO ${s('audit_transactions')} (txid, actor_ref, correlation_id, request_id)
  VALUES (xid, actor_json, correlation, request)
  RETURNING id INTO tx_id;
  PERFORM set_config('${transactionCacheSetting(auditSchema)}', ${transactionCacheValueSql('xid', 'tx_id')}, true);
  PERFORM set_config('${auditSchemaSetting(TRANSACTION_ACTOR_SETTING, auditSchema)}', coalesce(actor, ''), true);
  RETURN tx_id;
END
$threadline$;
${recordActionFunctionSql(auditSchema)}
${sealSchemaSql(auditSchema)}
${leaseSchemaSql(auditSchema)}${captureFunctionsSql(auditSchema)}
${options.queryIndexes === false ? '' : auditQueryIndexesSql(auditSchema)}${regenerateOlderCaptureSql(auditSchema)}`;
  const down = `${dropCaptureFunctionsSql(auditSchema)}${dropLeaseSchemaSql(auditSchema)}${dropSealSchemaSql(auditSchema)}DROP FUNCTION IF EXISTS ${s(RECORD_ACTION_FUNCTION)}(text, jsonb, text, text, text, text, text, text, text, text);
DROP FUNCTION IF EXISTS ${s(TRANSACTION_FUNCTION)}();
DROP TABLE IF EXISTS ${s('audit_changes')};
DROP TABLE IF EXISTS ${s('audit_transactions')};
DROP TABLE IF EXISTS ${s('audit_actions')};
DROP DOMAIN IF EXISTS ${s('audit_change_op')};
`;
  return { up, down };
}

/** The longest action name, verb and category `threadline_record_action` accepts (characters). */
export const ACTION_NAME_MAX_LENGTH = 200;
/** The longest reason and comment `threadline_record_action` accepts (characters). */
export const ACTION_TEXT_MAX_LENGTH = 10_000;

/**
 * `threadline_record_action(...)`: inserts an action into this transaction's
 * audit row, creating that row when the transaction has written nothing
 * audited yet, so every action is sealed with the transaction it was
 * recorded in. SECURITY DEFINER, so the app's role needs EXECUTE on it
 * rather than INSERT on audit_actions and UPDATE on audit_transactions.
 * The transaction is the caller's own (found from the server's txid, never
 * from a value the session supplies), and every argument is checked with a
 * message naming what is allowed.
 */
function recordActionFunctionSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  const fn = s(RECORD_ACTION_FUNCTION);
  const tooLong = (param: string, label: string, max: number) =>
    `  IF length(${param}) > ${max} THEN
    RAISE EXCEPTION 'threadline: an action''s ${label} is at most ${max} characters (got %)', length(${param}) USING ERRCODE = 'invalid_parameter_value';
  END IF;
`;
  const idTooLong = (param: string, label: string) =>
    `  IF ${param} IS NOT NULL AND (btrim(${param}) = '' OR octet_length(${param}) > ${CONTEXT_ID_MAX_BYTES}) THEN
    RAISE EXCEPTION 'threadline: an action''s ${label} is a non-empty text of at most ${CONTEXT_ID_MAX_BYTES} bytes (got % bytes)', octet_length(${param}) USING ERRCODE = 'invalid_parameter_value';
  END IF;
`;
  return `CREATE OR REPLACE FUNCTION ${fn}(action_name text, actor text, action_status text, action_verb text,
  action_category text, action_reason text, action_comment text, action_correlation_id text, action_request_id text,
  action_job_id text)
RETURNS TABLE (id uuid, linked int)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  actor_json jsonb;
  action uuid;
  tx uuid;
  linked_before boolean;
BEGIN
  IF action_name IS NULL OR btrim(action_name) = '' THEN
    RAISE EXCEPTION 'threadline: an action needs a name (a non-empty text of at most ${ACTION_NAME_MAX_LENGTH} characters)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
${tooLong('action_name', 'name', ACTION_NAME_MAX_LENGTH)}${tooLong('action_verb', 'verb', ACTION_NAME_MAX_LENGTH)}${tooLong('action_category', 'category', ACTION_NAME_MAX_LENGTH)}${tooLong('action_reason', 'reason', ACTION_TEXT_MAX_LENGTH)}${tooLong('action_comment', 'comment', ACTION_TEXT_MAX_LENGTH)}${idTooLong('action_correlation_id', 'correlation id')}${idTooLong('action_request_id', 'request id')}${idTooLong('action_job_id', 'job id')}  IF action_status IS NULL OR action_status NOT IN ('ok', 'error') THEN
    RAISE EXCEPTION 'threadline: an action''s status is ''ok'' or ''error'' (got %)', coalesce(quote_literal(left(action_status, 40)), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF actor IS NULL THEN
    RAISE EXCEPTION 'threadline: an action needs an actor; %', ${literal(ACTOR_RULE)} USING ERRCODE = 'invalid_parameter_value';
  END IF;
${actorCheckSql('actor', 'actor_json', 'the actor of an action')}  tx := ${s(TRANSACTION_FUNCTION)}();
  -- linked: the transaction already holds audited writes or actions (it did not begin with this action)
  linked_before := EXISTS (SELECT 1 FROM ${s('audit_changes')} AS c WHERE c.transaction_id = tx)
                   OR EXISTS (SELECT 1 FROM ${s('audit_actions')} AS x WHERE x.transaction_id = tx);
  INSERT INTO ${s('audit_actions')} AS a (name, actor_ref, status, verb, category, reason, comment, correlation_id, request_id, job_id, transaction_id)
  VALUES (action_name, actor_json, action_status, action_verb, action_category, action_reason, action_comment,
          action_correlation_id, action_request_id, action_job_id, tx)
  RETURNING a.id INTO action;
  UPDATE ${s('audit_transactions')} AS t SET action_id = action WHERE t.id = tx;
  RETURN QUERY SELECT action, CASE WHEN linked_before THEN 1 ELSE 0 END;
END
$threadline$;
REVOKE ALL ON FUNCTION ${fn}(text, text, text, text, text, text, text, text, text, text) FROM PUBLIC;
`;
}

/**
 * Upgrading from an earlier schema version regenerates every capture
 * function an older generator made (their stamps carry the settings), so
 * each one runs with its owner's rights from the moment the new install
 * migration commits.
 */
function regenerateOlderCaptureSql(auditSchema: string): string {
  const name = literal(auditSchema);
  return `DO $threadline$
DECLARE
  captured record;
  stamp jsonb;
BEGIN
  FOR captured IN
    -- Each function once, on the table its stamp names (a partition may be captured on its own).
    SELECT DISTINCT tg.tgrelid::regclass AS target, p.proname::text AS function_name, d.description
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
    JOIN pg_catalog.pg_trigger tg ON tg.tgfoid = p.oid AND tg.tgname = p.proname
    WHERE d.description LIKE 'threadline:{%'
  LOOP
    BEGIN
      stamp := substr(captured.description, length('threadline:') + 1)::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      CONTINUE; -- edited by hand: coverage reports it
    END;
    -- Version 4 stamps carry the column layout that self-guarding functions check and fall back on.
    IF coalesce((stamp->>'version')::int, 1) < 4 AND coalesce(stamp->>'auditSchema', ${name}) = ${name}
       AND (CASE WHEN stamp ? 'table' THEN false ELSE NOT (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = captured.target) END
            OR stamp->>'table' = (SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
                                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = captured.target)) THEN
      PERFORM ${qualified(auditSchema, CAPTURE_FUNCTION)}(captured.target, captured.function_name, stamp || '{"keepExistingTriggers": true}');
    END IF;
  END LOOP;
END
$threadline$;
`;
}

--# 003: threadline_record_action(...): inserts an action into this transaction's audit row, creating
--# that row when the transaction has written nothing audited yet, so every action is sealed with the
--# transaction it was recorded in. SECURITY DEFINER, so the app's role needs EXECUTE on it rather than
--# INSERT on audit_actions and UPDATE on audit_transactions. The transaction is the caller's own (found
--# from the server's txid, never from a value the session supplies), and every argument is checked
--# with a message naming what is allowed (ACTION_NAME_MAX_LENGTH, ACTION_TEXT_MAX_LENGTH in
--# audit-schema.sql.ts, core's CONTEXT_ID_MAX_BYTES). The actor check is 002's.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_record_action"(action_name text, actor text, action_status text, action_verb text,
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
    RAISE EXCEPTION 'threadline: an action needs a name (a non-empty text of at most 200 characters)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(action_name) > 200 THEN
    RAISE EXCEPTION 'threadline: an action''s name is at most 200 characters (got %)', length(action_name) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(action_verb) > 200 THEN
    RAISE EXCEPTION 'threadline: an action''s verb is at most 200 characters (got %)', length(action_verb) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(action_category) > 200 THEN
    RAISE EXCEPTION 'threadline: an action''s category is at most 200 characters (got %)', length(action_category) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(action_reason) > 10000 THEN
    RAISE EXCEPTION 'threadline: an action''s reason is at most 10000 characters (got %)', length(action_reason) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(action_comment) > 10000 THEN
    RAISE EXCEPTION 'threadline: an action''s comment is at most 10000 characters (got %)', length(action_comment) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF action_correlation_id IS NOT NULL AND (btrim(action_correlation_id) = '' OR octet_length(action_correlation_id) > 256) THEN
    RAISE EXCEPTION 'threadline: an action''s correlation id is a non-empty text of at most 256 bytes (got % bytes)', octet_length(action_correlation_id) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF action_request_id IS NOT NULL AND (btrim(action_request_id) = '' OR octet_length(action_request_id) > 256) THEN
    RAISE EXCEPTION 'threadline: an action''s request id is a non-empty text of at most 256 bytes (got % bytes)', octet_length(action_request_id) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF action_job_id IS NOT NULL AND (btrim(action_job_id) = '' OR octet_length(action_job_id) > 256) THEN
    RAISE EXCEPTION 'threadline: an action''s job id is a non-empty text of at most 256 bytes (got % bytes)', octet_length(action_job_id) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF action_status IS NULL OR action_status NOT IN ('ok', 'error') THEN
    RAISE EXCEPTION 'threadline: an action''s status is ''ok'' or ''error'' (got %)', coalesce(quote_literal(left(action_status, 40)), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF actor IS NULL THEN
    RAISE EXCEPTION 'threadline: an action needs an actor; %', 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF actor IS NOT NULL THEN
    -- Text in ActorRef's own shape is valid JSON: it is parsed without an exception block (a subtransaction).
    IF length(actor) <= 600 AND actor ~ E'^\\{"type":"([a-z_]+","id":"[^"\\\\\\x01-\\x1f]+"|anonymous")\\}$' THEN
      actor_json := actor::jsonb;
    ELSE
      BEGIN
        actor_json := actor::jsonb;
      EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR program_limit_exceeded OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'threadline: % is not valid JSON; expected {"type": ..., "id": ...}', 'the actor of an action'
          USING ERRCODE = 'invalid_parameter_value', HINT = 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}';
      END;
    END IF;
    -- Fast path: exactly what ActorRef.serialize() writes, {"type":"user","id":"42"} with an id that
    -- needs no escape and starts and ends with a printable ASCII character. The text equals the object
    -- rebuilt from what it parsed to, so no key repeats and it is already the stored form. The full
    -- check below is for everything else (its key count alone measured 10-12 us a transaction).
    IF actor = '{"type":"anonymous"}'
       OR (actor = '{"type":"' || (actor_json->>'type') || '","id":"' || (actor_json->>'id') || '"}'
           AND (actor_json->>'type') = ANY (ARRAY['user', 'admin', 'service_account', 'job', 'system']::text[])
           AND ascii((actor_json->>'id')) BETWEEN 33 AND 126 AND ascii(right((actor_json->>'id'), 1)) BETWEEN 33 AND 126
           AND length((actor_json->>'id')) <= 256) THEN
      NULL;
    ELSE
      IF jsonb_typeof(actor_json) = 'object'
         AND (SELECT count(*) FROM json_object_keys(actor::json)) <> (SELECT count(*) FROM jsonb_object_keys(actor_json)) THEN
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): a key appears twice; %', 'the actor of an action', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF jsonb_typeof(actor_json) IS DISTINCT FROM 'object'
         OR jsonb_typeof(actor_json->'type') IS DISTINCT FROM 'string'
         OR NOT (actor_json->>'type' = ANY (ARRAY['user', 'admin', 'service_account', 'job', 'system', 'anonymous']::text[])) THEN
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'the actor of an action', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF actor_json->>'type' = 'anonymous' THEN
        actor_json := '{"type": "anonymous"}';
      ELSE
        actor_json := jsonb_build_object('type', actor_json->>'type', 'id',
          CASE jsonb_typeof(actor_json->'id')
            WHEN 'string' THEN regexp_replace(actor_json->>'id', E'^[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+|[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+$', '', 'g')
            WHEN 'number' THEN CASE WHEN (actor_json->'id')::numeric = trunc((actor_json->'id')::numeric) AND abs((actor_json->'id')::numeric) <= 9007199254740991
                                    THEN trunc((actor_json->'id')::numeric)::text END
          END);
        IF actor_json->>'id' IS NULL OR actor_json->>'id' = '' OR length(actor_json->>'id') > 256 THEN
          RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'the actor of an action', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
            USING ERRCODE = 'invalid_parameter_value';
        END IF;
      END IF;
    END IF;
  END IF;
  tx := :AUDIT_SCHEMA."threadline_transaction_id"();
  -- linked: the transaction already holds audited writes or actions (it did not begin with this action)
  linked_before := EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_changes" AS c WHERE c.transaction_id = tx)
                   OR EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_actions" AS x WHERE x.transaction_id = tx);
  -- inserted_at by the clock, not the transaction's start: a transaction's actions keep the order they were recorded in
  INSERT INTO :AUDIT_SCHEMA."audit_actions" AS a (name, actor_ref, status, verb, category, reason, comment, correlation_id, request_id, job_id, transaction_id, inserted_at)
  VALUES (action_name, actor_json, action_status, action_verb, action_category, action_reason, action_comment,
          action_correlation_id, action_request_id, action_job_id, tx, clock_timestamp())
  RETURNING a.id INTO action;
  UPDATE :AUDIT_SCHEMA."audit_transactions" AS t SET action_id = action WHERE t.id = tx;
  RETURN QUERY SELECT action, CASE WHEN linked_before THEN 1 ELSE 0 END;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_record_action"(text, text, text, text, text, text, text, text, text, text) FROM PUBLIC;

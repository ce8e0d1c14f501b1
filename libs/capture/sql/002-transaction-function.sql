--# 002: threadline_transaction_id(), which every capture trigger calls: the audit_transactions row of
--# the current database transaction, created at its first audited write with the actor, correlation
--# and request ids the session set (threadline.actor_ref, threadline.correlation_id,
--# threadline.request_id) and, from v9, its trace context (threadline.traceparent), and found again through the transaction-local cache setting
--# threadline.transaction_id (core's transaction-cache.ts reads it the same way).
--# :AUDIT_SUFFIX gives a second audit schema settings of its own.
--#
--# The actor check (written out here twice and once in 003; install-sql.spec.ts checks the copies
--# agree): reads the actor text into actor_json and raises when it is not valid JSON or not an actor by
--# the rule ActorRef enforces (ACTOR_RULE in core), naming the setting or parameter it came from. What
--# it stores is what ActorRef.parse(text).serialize() gives: {"type", "id"} only, the id trimmed as
--# JavaScript's trim() does (a whole number id written as its digits), no id for anonymous. So every
--# shape either side accepts, the other accepts too and stores the same way. Its constants (ACTOR_TYPES,
--# ACTOR_ID_MAX_LENGTH, ACTOR_ID_TRIM_CLASS, ACTOR_RULE's text, Number.MAX_SAFE_INTEGER) are core's.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_transaction_id"() RETURNS uuid
LANGUAGE plpgsql
AS $threadline$
DECLARE
  xid bigint := txid_current();
  cached text := current_setting('threadline.transaction_id:AUDIT_SUFFIX', true);
  actor text := nullif(current_setting('threadline.actor_ref', true), '');
  -- Read only when the row is created (every later statement needs just the three above).
  correlation text;
  request text;
  trace text;
  actor_json jsonb;
  tx_id uuid;
BEGIN
  -- One audit_transactions row per database transaction: later statements
  -- find it in a transaction-local setting (reset at commit or rollback,
  -- and rolled back with a savepoint together with the row itself).
  -- The session can write that setting too, so it is trusted only for a row
  -- this very transaction created (its txid and its start time): a value
  -- naming another transaction's row is ignored and this one gets its own.
  IF cached LIKE xid::text || '/%' THEN
    tx_id := substr(cached, length(xid::text) + 2)::uuid;
    IF EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_transactions" AS t WHERE t.id = tx_id AND t.txid = xid AND t.occurred_at = now()) THEN
      -- One actor per transaction, recorded at its first audited write. The same text is the same actor
      -- (the fast path); another text may still name it (keys in another order, other spacing): it is read
      -- as the row's actor was, and a different actor is refused rather than ignored (its writes would be
      -- filed under the first actor, or under none).
      IF coalesce(actor, '') <> coalesce(current_setting('threadline.transaction_actor:AUDIT_SUFFIX', true), '') THEN
      IF actor IS NOT NULL THEN
        -- Text in ActorRef's own shape is valid JSON: it is parsed without an exception block (a subtransaction).
        IF length(actor) <= 600 AND actor ~ E'^\\{"type":"([a-z_]+","id":"[^"\\\\\\x01-\\x1f]+"|anonymous")\\}$' THEN
          actor_json := actor::jsonb;
        ELSE
          BEGIN
            actor_json := actor::jsonb;
          EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR program_limit_exceeded OR numeric_value_out_of_range THEN
            RAISE EXCEPTION 'threadline: % is not valid JSON; expected {"type": ..., "id": ...}', 'threadline.actor_ref'
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
            RAISE EXCEPTION 'threadline: % is not a valid actor (%): a key appears twice; %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
              USING ERRCODE = 'invalid_parameter_value';
          END IF;
          IF jsonb_typeof(actor_json) IS DISTINCT FROM 'object'
             OR jsonb_typeof(actor_json->'type') IS DISTINCT FROM 'string'
             OR NOT (actor_json->>'type' = ANY (ARRAY['user', 'admin', 'service_account', 'job', 'system', 'anonymous']::text[])) THEN
            RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
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
              RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
                USING ERRCODE = 'invalid_parameter_value';
            END IF;
          END IF;
        END IF;
      END IF;
        IF (SELECT t.actor_ref FROM :AUDIT_SCHEMA."audit_transactions" AS t WHERE t.id = tx_id AND t.occurred_at = now()) IS DISTINCT FROM actor_json THEN
          RAISE EXCEPTION 'threadline: the actor of this transaction changed after its first audited write (from % to %); a transaction records one actor, the one set before its first write. Set the actor at the start of the transaction (the actor interceptor and ThreadlineContext.run do), or commit and start a new transaction for the new actor',
            coalesce(left(nullif(current_setting('threadline.transaction_actor:AUDIT_SUFFIX', true), ''), 200), 'none'), coalesce(left(actor, 200), 'none')
            USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
      END IF;
      RETURN tx_id;
    END IF;
  END IF;
  IF actor IS NOT NULL THEN
    -- Text in ActorRef's own shape is valid JSON: it is parsed without an exception block (a subtransaction).
    IF length(actor) <= 600 AND actor ~ E'^\\{"type":"([a-z_]+","id":"[^"\\\\\\x01-\\x1f]+"|anonymous")\\}$' THEN
      actor_json := actor::jsonb;
    ELSE
      BEGIN
        actor_json := actor::jsonb;
      EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR program_limit_exceeded OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'threadline: % is not valid JSON; expected {"type": ..., "id": ...}', 'threadline.actor_ref'
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
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): a key appears twice; %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF jsonb_typeof(actor_json) IS DISTINCT FROM 'object'
         OR jsonb_typeof(actor_json->'type') IS DISTINCT FROM 'string'
         OR NOT (actor_json->>'type' = ANY (ARRAY['user', 'admin', 'service_account', 'job', 'system', 'anonymous']::text[])) THEN
        RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
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
          RAISE EXCEPTION 'threadline: % is not a valid actor (%): %', 'threadline.actor_ref', left(actor, 120), 'an actor is {"type": one of user, admin, service_account, job, system, anonymous; "id": a non-empty string of at most 256 characters or a whole number, which anonymous does not need}'
            USING ERRCODE = 'invalid_parameter_value';
        END IF;
      END IF;
    END IF;
  END IF;
  correlation := nullif(current_setting('threadline.correlation_id', true), '');
  request := nullif(current_setting('threadline.request_id', true), '');
  trace := nullif(current_setting('threadline.traceparent', true), '');
  -- The same bound as every other way in for these ids (a header, recordAction, a filter).
  IF octet_length(correlation) > 256 OR octet_length(request) > 256 THEN
    RAISE EXCEPTION 'threadline: % is % bytes; at most 256 are allowed',
      CASE WHEN octet_length(correlation) > 256 THEN 'threadline.correlation_id' ELSE 'threadline.request_id' END,
      greatest(octet_length(correlation), octet_length(request))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- v9: the W3C trace context of the request or job that made the transaction (set with the actor), as its
  -- trace and span ids in meta, which the seal covers. Only version 00's form, neither id all zeros.
  IF trace IS NOT NULL AND (trace !~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
                            OR substr(trace, 4, 32) = repeat('0', 32) OR substr(trace, 37, 16) = repeat('0', 16)) THEN
    RAISE EXCEPTION 'threadline: threadline.traceparent is not a W3C traceparent (%): expected 00-<trace id: 32 lower-case hex digits>-<span id: 16>-<flags: 2>, neither id all zeros', left(trace, 80)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO :AUDIT_SCHEMA."audit_transactions" (txid, actor_ref, correlation_id, request_id, meta)
  VALUES (xid, actor_json, correlation, request,
          CASE WHEN trace IS NOT NULL THEN jsonb_build_object('trace_id', substr(trace, 4, 32), 'span_id', substr(trace, 37, 16)) END)
  -- The cache settings are set by the same statement (one executor run, not three).
  RETURNING id, set_config('threadline.transaction_id:AUDIT_SUFFIX', xid::text || '/' || id::text, true),
    set_config('threadline.transaction_actor:AUDIT_SUFFIX', coalesce(actor, ''), true)
  INTO tx_id, cached, cached;
  RETURN tx_id;
END
$threadline$;

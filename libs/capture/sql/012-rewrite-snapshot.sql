--# 012: threadline_snapshot_rewritten(table): after DDL rewrote a column's values (ALTER COLUMN ... TYPE
--# ... USING, a volatile default), records every row as a snapshot change, in the DDL's transaction,
--# under the session's actor or else {"type":"system","id":"threadline:schema-change"}
--# (SCHEMA_CHANGE_ACTOR).
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_snapshot_rewritten"(target oid)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
  stamp jsonb;
  tx uuid;
  pk text;
  masked jsonb;
  n bigint;
  total bigint := 0;
BEGIN
  -- Every capture the rows belong to: the table's own and each ancestor's that is stamped for its current
  -- name (a partition captured on its own and through its parent records under both names).
  FOR captured IN SELECT c.relid, c.schema_name, c.table_name, c.stamp FROM :AUDIT_SCHEMA."threadline_captures_of"(target) AS c
                  WHERE c.stamp->>'table' = c.schema_name || '.' || c.table_name LOOP
    stamp := captured.stamp;
    SELECT string_agg(format('%L, t.%I', a.attname, a.attname), ', ' ORDER BY k.pos) INTO pk
    FROM pg_index x
    CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE x.indrelid = captured.relid AND x.indisprimary;
    SELECT coalesce(jsonb_object_agg(m, stamp->>'maskPlaceholder'), '{}') INTO masked
    FROM jsonb_array_elements_text(coalesce(stamp->'maskedColumns', stamp->'mask', '[]')) AS m;
    -- The migration's own actor, or the schema change's when the session names none and the transaction
    -- has no audit row yet (one that has keeps the actor it was created with).
    IF coalesce(current_setting('threadline.actor_ref', true), '') = ''
       AND NOT coalesce(current_setting('threadline.transaction_id:AUDIT_SUFFIX', true) LIKE txid_current()::text || '/%', false) THEN
      PERFORM set_config('threadline.actor_ref', '{"type":"system","id":"threadline:schema-change"}', true);
    END IF;
    tx := :AUDIT_SCHEMA."threadline_transaction_id"();
    EXECUTE format('INSERT INTO :AUDIT_SCHEMA_IN_LITERAL."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT $1, $2, $3, %L, jsonb_build_object(%s), (to_jsonb(t.*) - $4::text[]) || $5 FROM ONLY %s AS t', 'snapshot', pk, target::regclass)
      USING tx, captured.schema_name, captured.table_name,
        ARRAY(SELECT jsonb_array_elements_text(coalesce(stamp->'excludedColumns', stamp->'exclude', '[]'))), masked;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE :AUDIT_SCHEMA."audit_transactions" AS t
    SET meta = coalesce(t.meta, '{}'::jsonb) || jsonb_build_object('schemaRewrite',
      coalesce(t.meta->'schemaRewrite', '[]'::jsonb) || jsonb_build_array(jsonb_build_object('table', stamp->>'table', 'rows', n)))
    WHERE t.id = tx;
    total := total + n;
  END LOOP;
  RETURN total;
END
$threadline$;

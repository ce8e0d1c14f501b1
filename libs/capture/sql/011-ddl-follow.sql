--# 011: following DDL. The event triggers (013) call threadline_on_ddl, threadline_on_drop and
--# threadline_on_rewrite, which regenerate capture of each table whose columns changed
--# (threadline_refresh_capture, from the stamp of its deployed function) in the DDL's own transaction.
-- Each capture a table's DDL concerns: the table's own and its ancestors' (a
-- partition shares the columns of every table above it), outermost first,
-- with the stamp of its deployed function. A stamp edited by hand into
-- something that is not JSON is skipped: coverage reports the function.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_captures_of"(target oid)
RETURNS TABLE (relid oid, function_name text, schema_name text, table_name text, stamp jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
BEGIN
  FOR captured IN
    SELECT rel.relid, p.proname::text AS function_name, pn.nspname::text AS schema_name, pc.relname::text AS table_name, d.description
    FROM (SELECT target AS relid, 0 AS depth
          UNION ALL
          SELECT a.relid::oid, a.depth FROM (SELECT pa.relid, row_number() OVER () AS depth FROM pg_partition_ancestors(target) AS pa) AS a
          WHERE a.relid <> target) AS rel
    JOIN pg_trigger tg ON tg.tgrelid = rel.relid AND NOT tg.tgisinternal
    JOIN pg_proc p ON p.oid = tg.tgfoid AND p.proname = tg.tgname
    JOIN pg_class pc ON pc.oid = rel.relid
    JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
    WHERE d.description LIKE 'threadline:{%'
    ORDER BY rel.depth DESC
  LOOP
    BEGIN
      stamp := substr(captured.description, length('threadline:') + 1)::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      CONTINUE;
    END;
    CONTINUE WHEN coalesce(stamp->>'auditSchema', ':AUDIT_SCHEMA_NAME_IN_LITERAL') <> ':AUDIT_SCHEMA_NAME_IN_LITERAL';
    relid := captured.relid;
    function_name := captured.function_name;
    schema_name := captured.schema_name;
    table_name := captured.table_name;
    RETURN NEXT;
  END LOOP;
END
$threadline$;

-- Regenerates capture of a table (or of the captured table a partition
-- belongs to) from the stamp of its deployed function: the same settings,
-- the table's columns as they are now.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_refresh_capture"(target oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
  stamp jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = target AND relkind IN ('r', 'p')) THEN RETURN; END IF;
  -- A table whose capture was asked for before it existed.
  FOR captured IN
    SELECT p.table_schema, p.table_name, p.function_name, p.settings
    FROM :AUDIT_SCHEMA."audit_capture_pending" p JOIN pg_class c ON c.relname = p.table_name JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.table_schema
    WHERE c.oid = target
  LOOP
    PERFORM :AUDIT_SCHEMA."threadline_capture"(captured.table_schema, captured.table_name, captured.function_name, captured.settings);
    RETURN;
  END LOOP;
  FOR captured IN SELECT c.relid, c.function_name, c.schema_name || '.' || c.table_name AS name, c.stamp
                  FROM :AUDIT_SCHEMA."threadline_captures_of"(target) AS c LOOP
    stamp := captured.stamp;
    IF stamp->>'table' = captured.name THEN
      -- Only when the columns changed or a partition lacks capture: an ALTER TABLE that disables a
      -- trigger must stay visible to coverage, not be undone here.
      IF (stamp->>'columnSignature' IS DISTINCT FROM :AUDIT_SCHEMA."threadline_column_signature"(captured.relid)
          OR (stamp ? 'columnLayout' AND stamp->>'columnLayout' IS DISTINCT FROM :AUDIT_SCHEMA."threadline_column_layout"(captured.relid)))
         OR EXISTS (SELECT 1 FROM pg_partition_tree(captured.relid) AS t
                    WHERE t.relid <> captured.relid
                      AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = t.relid AND tg.tgname = captured.function_name))
         OR EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                    WHERE p.proname = captured.function_name AND p.pronamespace = (SELECT relnamespace FROM pg_class WHERE oid = captured.relid)
                      AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(captured.relid) AS t)
                      AND tg.tgrelid <> captured.relid) THEN
        PERFORM :AUDIT_SCHEMA."threadline_capture"(captured.relid::regclass, captured.function_name, stamp || '{"keepExistingTriggers": true}');
      END IF;
      -- no RETURN: a partition may be captured on its own as well as through its parent, and both follow
    ELSIF NOT EXISTS (SELECT 1 FROM pg_partition_ancestors(target) AS a JOIN pg_class ac ON ac.oid = a.relid
                      JOIN pg_namespace an ON an.oid = ac.relnamespace WHERE an.nspname || '.' || ac.relname = stamp->>'table')
      AND (stamp->>'columnSignature' IS DISTINCT FROM :AUDIT_SCHEMA."threadline_column_signature"(captured.relid)
          OR (stamp ? 'columnLayout' AND stamp->>'columnLayout' IS DISTINCT FROM :AUDIT_SCHEMA."threadline_column_layout"(captured.relid))) THEN
      -- Capture generated for a name the table no longer has (RENAME TO, SET SCHEMA): regenerating it here
      -- would record under another name, and not regenerating it would capture new columns unredacted.
      RAISE EXCEPTION 'threadline: % was captured as % (renamed since); its capture cannot follow a change of its columns until it is regenerated for the new name (gen-triggers, then migrate)',
        captured.name, stamp->>'table'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END LOOP;
END
$threadline$;

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_on_ddl"() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  rel oid;
  rewritten text;
BEGIN
  -- Each table the DDL names, and every table below it (partitions and inheritance children share
  -- its columns, and one of them may be captured on its own).
  FOR rel IN
    WITH RECURSIVE named AS (
      SELECT DISTINCT c.objid AS relid FROM pg_event_trigger_ddl_commands() AS c
      WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'table column')
      UNION
      -- ALTER TYPE ... CASCADE: the tables typed by the composite type (CREATE TABLE ... OF type)
      SELECT t.oid FROM pg_event_trigger_ddl_commands() AS c
      JOIN pg_type ty ON ty.typrelid = c.objid
      JOIN pg_class t ON t.reloftype = ty.oid
      WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('composite type', 'composite type column')
    ), below AS (
      SELECT relid FROM named
      UNION
      SELECT i.inhrelid FROM pg_inherits AS i JOIN below AS b ON i.inhparent = b.relid
    )
    SELECT relid FROM below
  LOOP
    PERFORM :AUDIT_SCHEMA."threadline_refresh_capture"(rel);
  END LOOP;
  -- Tables this statement rewrote column by column (ALTER COLUMN ... TYPE, USING): their values
  -- changed without a write, so every row is recorded as it is now, after capture was regenerated.
  rewritten := nullif(current_setting('threadline.rewritten_tables', true), '');
  IF rewritten IS NOT NULL THEN
    PERFORM set_config('threadline.rewritten_tables', '', true);
    FOR rel IN SELECT DISTINCT r::oid FROM unnest(string_to_array(rtrim(rewritten, ','), ',')) AS r LOOP
      PERFORM :AUDIT_SCHEMA."threadline_snapshot_rewritten"(rel);
    END LOOP;
  END IF;
END
$threadline$;

-- A column dropped by another object's CASCADE (DROP TYPE, DROP DOMAIN, DROP FUNCTION of a generated
-- column, DROP EXTENSION) is reported only here: regenerate capture of its table and every table below it.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_on_drop"() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  rel oid;
BEGIN
  FOR rel IN
    WITH RECURSIVE named AS (
      SELECT DISTINCT d.objid AS relid FROM pg_event_trigger_dropped_objects() AS d
      WHERE d.classid = 'pg_class'::regclass AND d.object_type = 'table column'
    ), below AS (
      SELECT relid FROM named
      UNION
      SELECT i.inhrelid FROM pg_inherits AS i JOIN below AS b ON i.inhparent = b.relid
    )
    SELECT relid FROM below
  LOOP
    PERFORM :AUDIT_SCHEMA."threadline_refresh_capture"(rel);
  END LOOP;
END
$threadline$;

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_on_rewrite"() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
BEGIN
  -- 4: a column's values are rewritten (a type change, or USING); 2: values a default or a generation
  -- expression computes anew (ADD COLUMN with a volatile default, ALTER COLUMN ... SET EXPRESSION);
  -- not a persistence or access method change (1, 8), which keep every value.
  IF pg_event_trigger_table_rewrite_reason() & 6 <> 0 THEN
    PERFORM set_config('threadline.rewritten_tables',
      coalesce(current_setting('threadline.rewritten_tables', true), '') || pg_event_trigger_table_rewrite_oid()::text || ',', true);
  END IF;
END
$threadline$;

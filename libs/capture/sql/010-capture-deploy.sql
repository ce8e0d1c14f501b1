--# 010: deploy and remove capture. threadline_capture(table, function_name, settings) runs what 009
--# builds; the (schema, table, ...) form keeps the request in audit_capture_pending when the table
--# does not exist yet. threadline_uncapture drops the triggers (on every partition) and the function.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_capture"(target regclass, function_name text, settings jsonb)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
BEGIN
  EXECUTE :AUDIT_SCHEMA."threadline_capture_sql"(target, function_name, settings);
END
$threadline$;

-- Capture asked for before its table exists (a migration that runs before
-- TypeORM's synchronize, or migrations in another order): kept here and
-- deployed by the DDL event trigger when the table is created.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_capture_pending" (
  table_schema text NOT NULL,
  table_name text NOT NULL,
  function_name text NOT NULL,
  settings jsonb NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_schema, table_name)
);

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_capture"(table_schema text, table_name text, function_name text, settings jsonb)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
DECLARE
  target regclass := to_regclass(format('%I.%I', table_schema, table_name));
BEGIN
  DELETE FROM :AUDIT_SCHEMA."audit_capture_pending" p WHERE p.table_schema = $1 AND p.table_name = $2;
  IF target IS NOT NULL THEN
    PERFORM :AUDIT_SCHEMA."threadline_capture"(target, function_name, settings);
  ELSE
    INSERT INTO :AUDIT_SCHEMA."audit_capture_pending" (table_schema, table_name, function_name, settings) VALUES ($1, $2, $3, $4);
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'threadline_ddl:AUDIT_SUFFIX' AND evtenabled IN ('O', 'A')) THEN
      RAISE WARNING 'threadline: table %.% does not exist yet and no DDL event trigger can capture it when it is created; run gen-triggers again once it exists', $1, $2;
    ELSE
      RAISE NOTICE 'threadline: table %.% does not exist yet; capture is deployed when it is created', $1, $2;
    END IF;
  END IF;
END
$threadline$;

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_uncapture"(table_schema text, table_name text, function_name text)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
BEGIN
  DELETE FROM :AUDIT_SCHEMA."audit_capture_pending" p WHERE p.table_schema = $1 AND p.table_name = $2;
  PERFORM :AUDIT_SCHEMA."threadline_uncapture"(to_regclass(format('%I.%I', $1, $2)), function_name);
END
$threadline$;

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_uncapture"(target regclass, function_name text)
RETURNS void
LANGUAGE plpgsql
STRICT
SET search_path = pg_catalog
AS $threadline$
DECLARE
  part regclass;
  rel_schema text;
BEGIN
  SELECT n.nspname INTO rel_schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
  FOR part IN SELECT target UNION ALL SELECT t.relid FROM pg_partition_tree(target) AS t WHERE t.relid <> target LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name, part);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_update', part);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_delete', part);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_trunc', part);
  END LOOP;
  EXECUTE format('DROP FUNCTION IF EXISTS %I.%I()', rel_schema, function_name);
END
$threadline$;

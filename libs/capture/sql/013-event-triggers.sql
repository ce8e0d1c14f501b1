--# 013: the DDL event triggers, one set per audit schema (event trigger names are global to a
--# database, hence :AUDIT_SUFFIX). Each block creates its event trigger, or recreates one an older
--# install made for fewer command tags (ALTER TYPE ... CASCADE changes typed tables' columns), keeping
--# whether it was enabled. A new one fires always, also under session_replication_role = replica: DDL
--# run there would otherwise leave capture generated for columns the table no longer has. One an
--# operator disabled stays disabled. The tags are every command that can change a table's columns:
--# ALTER VIEW, ALTER MATERIALIZED VIEW and ALTER FOREIGN TABLE ... RENAME COLUMN act on a table too.
-- The event trigger needs a superuser (or the cloud equivalent); without
-- it, capture functions guard themselves (see threadline_capture_sql).
DO $threadline$
DECLARE
  was "char";
BEGIN
  was := (SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'threadline_ddl:AUDIT_SUFFIX' AND NOT evttags @> ARRAY['ALTER TABLE', 'CREATE TABLE', 'ALTER TYPE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE']);
  IF was IS NOT NULL THEN
    DROP EVENT TRIGGER "threadline_ddl:AUDIT_SUFFIX";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'threadline_ddl:AUDIT_SUFFIX') THEN
    CREATE EVENT TRIGGER "threadline_ddl:AUDIT_SUFFIX" ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'ALTER TYPE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE') EXECUTE FUNCTION :AUDIT_SCHEMA."threadline_on_ddl"();
    IF was = 'D' THEN
      ALTER EVENT TRIGGER "threadline_ddl:AUDIT_SUFFIX" DISABLE;
    ELSIF was = 'R' THEN
      ALTER EVENT TRIGGER "threadline_ddl:AUDIT_SUFFIX" ENABLE REPLICA;
    ELSE
      ALTER EVENT TRIGGER "threadline_ddl:AUDIT_SUFFIX" ENABLE ALWAYS;
    END IF;
  END IF;
  was := (SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'threadline_rewrite:AUDIT_SUFFIX' AND NOT evttags @> ARRAY['ALTER TABLE', 'ALTER TYPE']);
  IF was IS NOT NULL THEN
    DROP EVENT TRIGGER "threadline_rewrite:AUDIT_SUFFIX";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'threadline_rewrite:AUDIT_SUFFIX') THEN
    CREATE EVENT TRIGGER "threadline_rewrite:AUDIT_SUFFIX" ON table_rewrite WHEN TAG IN ('ALTER TABLE', 'ALTER TYPE') EXECUTE FUNCTION :AUDIT_SCHEMA."threadline_on_rewrite"();
    IF was = 'D' THEN
      ALTER EVENT TRIGGER "threadline_rewrite:AUDIT_SUFFIX" DISABLE;
    ELSIF was = 'R' THEN
      ALTER EVENT TRIGGER "threadline_rewrite:AUDIT_SUFFIX" ENABLE REPLICA;
    ELSE
      ALTER EVENT TRIGGER "threadline_rewrite:AUDIT_SUFFIX" ENABLE ALWAYS;
    END IF;
  END IF;
  was := NULL;
  IF was IS NOT NULL THEN
    DROP EVENT TRIGGER "threadline_drop:AUDIT_SUFFIX";
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'threadline_drop:AUDIT_SUFFIX') THEN
    CREATE EVENT TRIGGER "threadline_drop:AUDIT_SUFFIX" ON sql_drop EXECUTE FUNCTION :AUDIT_SCHEMA."threadline_on_drop"();
    IF was = 'D' THEN
      ALTER EVENT TRIGGER "threadline_drop:AUDIT_SUFFIX" DISABLE;
    ELSIF was = 'R' THEN
      ALTER EVENT TRIGGER "threadline_drop:AUDIT_SUFFIX" ENABLE REPLICA;
    ELSE
      ALTER EVENT TRIGGER "threadline_drop:AUDIT_SUFFIX" ENABLE ALWAYS;
    END IF;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'threadline: cannot create the DDL event trigger (it needs a superuser); after a change of a table''s columns its capture keeps recording but masks every column it cannot classify, until gen-triggers is run again. See README "Schema changes".';
END
$threadline$;

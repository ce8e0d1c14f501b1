--# 015: upgrading from an earlier schema version regenerates every capture function an older
--# generator made (their stamps carry the settings), so each one runs with its owner's rights from the
--# moment the new install migration commits.
DO $threadline$
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
    IF coalesce((stamp->>'version')::int, 1) < 5 AND coalesce(stamp->>'auditSchema', :AUDIT_SCHEMA_LITERAL) = :AUDIT_SCHEMA_LITERAL
       AND (CASE WHEN stamp ? 'table' THEN false ELSE NOT (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = captured.target) END
            OR stamp->>'table' = (SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
                                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = captured.target)) THEN
      IF coalesce((stamp->>'version')::int, 1) < 4 THEN
        PERFORM :AUDIT_SCHEMA."threadline_capture"(captured.target, captured.function_name, stamp || '{"keepExistingTriggers": true}');
      -- v10: version 5 pairs a one-row UPDATE without numbering and joining its rows, a speed-up only. A
      -- version 4 function is regenerated for it only while its table's columns are those it was generated
      -- for: a self-guarding one masks a column renamed or added since, which a regeneration from its stamp
      -- would not. One whose table capture now refuses (a key dropped since) keeps working as it is.
      ELSIF stamp->>'columnLayout' = :AUDIT_SCHEMA."threadline_column_layout"(captured.target::oid) THEN
        BEGIN
          PERFORM :AUDIT_SCHEMA."threadline_capture"(captured.target, captured.function_name, stamp || '{"keepExistingTriggers": true}');
        EXCEPTION WHEN OTHERS THEN
          RAISE WARNING 'threadline: % keeps its capture function as it was (%); regenerate capture (gen-triggers, then migrate) when it can be', captured.target, SQLERRM;
        END;
      END IF;
    END IF;
  END LOOP;
END
$threadline$;

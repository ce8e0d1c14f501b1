--# down (auditSchemaSql(...).down runs down/ in order): what 007 to 013 create.
DROP EVENT TRIGGER IF EXISTS "threadline_ddl:AUDIT_SUFFIX";
DROP EVENT TRIGGER IF EXISTS "threadline_rewrite:AUDIT_SUFFIX";
DROP EVENT TRIGGER IF EXISTS "threadline_drop:AUDIT_SUFFIX";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_on_ddl"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_on_drop"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_on_rewrite"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_snapshot_rewritten"(oid);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_refresh_capture"(oid);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_uncapture"(regclass, text);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_uncapture"(text, text, text);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_capture"(text, text, text, jsonb);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_capture_pending";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_capture"(regclass, text, jsonb);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_capture_sql"(regclass, text, jsonb);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_column_signature"(oid);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_column_layout"(oid);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_capture_fallback_sql"(oid, text, jsonb);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_captures_of"(oid);

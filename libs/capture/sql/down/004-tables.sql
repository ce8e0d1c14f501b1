--# down: what 001 to 003 create.
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_record_action"(text, jsonb, text, text, text, text, text, text, text, text);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_transaction_id"();
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_changes";
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_transactions";
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_actions";
DROP DOMAIN IF EXISTS :AUDIT_SCHEMA."audit_change_op";

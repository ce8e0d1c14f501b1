--# down: what 004 and 005 create.
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_record_purge"(jsonb, uuid[]);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_jsonb_sha256"(jsonb, int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_purged";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_seal"(int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_seal_checkpoints";
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_seals";
DROP INDEX IF EXISTS :AUDIT_SCHEMA."audit_transactions_txid_brin";

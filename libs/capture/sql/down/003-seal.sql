--# down: what 004 and 005 create.
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_record_purge"(jsonb, uuid[]);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_purge_seal"(bigint);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_jsonb_sha256"(jsonb, int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_purged";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_seal"(int);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_tree_grow"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_tree_fold"(bytea[]);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_seal_tree";
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_seal_checkpoints";
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_seals";
DROP INDEX IF EXISTS :AUDIT_SCHEMA."audit_transactions_txid_brin";

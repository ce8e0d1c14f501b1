--# down: what 006 creates.
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_leases";

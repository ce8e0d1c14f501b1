--# down: what 016 creates.
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_legal_holds";

--# down: what 017 and 018 create (the partitions themselves go with their tables, down/004).
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_purge_partition"(timestamptz, timestamptz, boolean);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_lock_yielding"(regclass[], text, text, int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_actions_unproven";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitioning_set"(text, int);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain_at"(timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_create"(text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions"();
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_partitioning";

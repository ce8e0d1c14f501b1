--# down: what 017 creates (the partitions themselves go with their tables, down/004).
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitioning_set"(text, int);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain_at"(timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_create"(text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions"();
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_partitioning";

--# down: what 017, 018 and 019 create (the partitions themselves go with their tables, down/004).
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_upgrade_abort"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_upgrade_finish"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_upgrade_copy"(int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_changes_next", :AUDIT_SCHEMA."audit_transactions_next", :AUDIT_SCHEMA."audit_partition_upgrade",
  :AUDIT_SCHEMA."audit_changes_unpartitioned", :AUDIT_SCHEMA."audit_transactions_unpartitioned";
-- an upgrade under way: its triggers on the audit tables go with the function
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_upgrade_copy_rows"() CASCADE;
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_upgrade_start"(text, int);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_purge_partition"(timestamptz, timestamptz, boolean);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_lock_yielding"(regclass[], text, text, int);
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_actions_unproven";
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitioning_set"(text, int);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain"();
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions_maintain_at"(timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partition_create"(text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS :AUDIT_SCHEMA."threadline_partitions"();
DROP TABLE IF EXISTS :AUDIT_SCHEMA."audit_partitioning";

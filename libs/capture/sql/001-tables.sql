--# 001: the audit tables. (Lines that start with --# are notes for readers; the install leaves them out.)
--# The audit schema: three tables, their indexes, and (002) the function that creates the
--# audit_transactions row once per database transaction.
--#
--# Why it looks like this (figures in docs/capture-cost.md):
--# - audit_changes.id is a bigint identity, not a random UUID: UUIDs on every change row cost 20-40%
--#   on bulk writes and give no ordering.
--# - Indexes are the ones a shipped query uses; each extra index costs every write (a (captured_at, id)
--#   index measured 1.32x -> 1.47x on the OLTP benchmark): the primary key (retention walks it oldest
--#   first: ids come from a sequence at capture time) and (transaction_id) for a transaction's changes
--#   and the empty-transaction checks. The exploration indexes are 014, optional.
--# - No foreign key from audit_changes to audit_transactions: the RI check costs every change row a
--#   lookup, and only the trigger writes these rows, always after creating the transaction row in the
--#   same transaction. Retention deletes changes before their transactions.
--# - op is insert, update, delete or truncate from the triggers (a truncate is one change with key {}
--#   and data_after {"rowCount": n}: how many rows the table held, and "partition" when a partition was
--#   emptied), or snapshot: the image of a row that existed before capture, written by a baseline (the
--#   baseline command) under one transaction whose source is 'threadline:baseline', or of every row
--#   after DDL rewrote a column's values (threadline_snapshot_rewritten, in the DDL's transaction). The
--#   allowed values are a domain, not a table CHECK: PostgreSQL parses and plans a table's CHECK
--#   expressions again in every statement that inserts, which cost each audited single-row statement
--#   4-8 us (about a sixth of its audit overhead); a domain's check is planned once per session and cached.
--# - The transaction row is not unique on txid alone: txids restart after a logical restore into a new
--#   cluster. The id is the key; txid is kept for correlation with PostgreSQL logs.
--# The statements are idempotent and upgrade an earlier version in place (the v3 and v5 lines).
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_actions" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  actor_ref jsonb NOT NULL,
  status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error')),
  verb text,
  category text,
  reason text,
  comment text,
  correlation_id text,
  request_id text,
  job_id text,
  inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_transactions" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  txid bigint NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  source text,
  meta jsonb,
  actor_ref jsonb,
  correlation_id text,
  request_id text,
  action_id uuid REFERENCES :AUDIT_SCHEMA."audit_actions" (id) ON DELETE SET NULL
);
-- v5: the audit transaction an action was recorded in (sealed with it, with or without a write). Required
-- from v5 on (NOT VALID: actions recorded before keep none); only threadline_record_action writes actions.
ALTER TABLE :AUDIT_SCHEMA."audit_actions" ADD COLUMN IF NOT EXISTS transaction_id uuid;
ALTER TABLE :AUDIT_SCHEMA."audit_actions" DROP CONSTRAINT IF EXISTS audit_actions_transaction_required;
ALTER TABLE :AUDIT_SCHEMA."audit_actions" ADD CONSTRAINT audit_actions_transaction_required CHECK (transaction_id IS NOT NULL) NOT VALID;
CREATE INDEX IF NOT EXISTS audit_actions_transaction_idx ON :AUDIT_SCHEMA."audit_actions" (transaction_id) WHERE transaction_id IS NOT NULL;
DO $threadline$ BEGIN
  CREATE DOMAIN :AUDIT_SCHEMA."audit_change_op" AS text CHECK (VALUE IN ('insert', 'update', 'delete', 'snapshot'));
EXCEPTION WHEN duplicate_object THEN NULL;
END $threadline$;
-- v3 adds 'truncate'. NOT VALID: rows already stored hold values the new check allows too, and an
-- upgrade then need not scan audit_changes (a fresh install ends in the same state).
ALTER DOMAIN :AUDIT_SCHEMA."audit_change_op" DROP CONSTRAINT IF EXISTS audit_change_op_check;
ALTER DOMAIN :AUDIT_SCHEMA."audit_change_op" ADD CONSTRAINT audit_change_op_check
  CHECK (VALUE IN ('insert', 'update', 'delete', 'snapshot', 'truncate')) NOT VALID;
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_changes" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id uuid NOT NULL,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  op :AUDIT_SCHEMA."audit_change_op" NOT NULL,
  table_pk jsonb NOT NULL,
  previous_pk jsonb,
  data_after jsonb,
  changed_fields text[],
  changed_from jsonb,
  captured_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- v12: the start of the change's transaction (its audit_transactions.occurred_at, which is now() there too):
-- the partition key of partitioned storage (capture.partitioning, 001b), the same for every change of one
-- transaction. Changes stored before v12 have none.
ALTER TABLE :AUDIT_SCHEMA."audit_changes" ADD COLUMN IF NOT EXISTS transaction_occurred_at timestamptz;
ALTER TABLE :AUDIT_SCHEMA."audit_changes" ALTER COLUMN transaction_occurred_at SET DEFAULT now();
CREATE INDEX IF NOT EXISTS audit_changes_transaction_id_idx ON :AUDIT_SCHEMA."audit_changes" (transaction_id);

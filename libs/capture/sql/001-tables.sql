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
CREATE INDEX IF NOT EXISTS audit_changes_transaction_id_idx ON :AUDIT_SCHEMA."audit_changes" (transaction_id);

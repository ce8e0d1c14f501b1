// The reference Threadline capture algorithm, written here from its
// description in REFERENCE.md ("The reference capture algorithm") and kept
// only as the benchmark's baseline: a row-level trigger that upserts and then
// looks up the transaction row for EVERY changed row, builds the changed-field
// list by joining jsonb_each of both images, and uses random UUID ids.
module.exports.naiveSchemaSql = `
CREATE SCHEMA naive;
CREATE TABLE naive.audit_transactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  txid bigint NOT NULL UNIQUE,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  source text, meta jsonb, actor_ref jsonb, action_id uuid
);
CREATE INDEX ON naive.audit_transactions USING gin (actor_ref);
CREATE TABLE naive.audit_changes (
  id uuid PRIMARY KEY,
  transaction_id uuid NOT NULL REFERENCES naive.audit_transactions (id) ON DELETE CASCADE,
  table_schema text NOT NULL, table_name text NOT NULL, table_pk jsonb, op text NOT NULL,
  data_after jsonb, changed_fields text[], changed_from jsonb, captured_at timestamptz NOT NULL
);
CREATE INDEX ON naive.audit_changes (transaction_id);
CREATE INDEX ON naive.audit_changes (table_name);
CREATE INDEX ON naive.audit_changes (captured_at);
CREATE FUNCTION naive.capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tx uuid;
  new_image jsonb;
  fields text[];
BEGIN
  INSERT INTO naive.audit_transactions (txid, actor_ref)
  VALUES (txid_current(), nullif(current_setting('threadline.actor_ref', true), '')::jsonb)
  ON CONFLICT (txid) DO NOTHING;
  SELECT id INTO tx FROM naive.audit_transactions WHERE txid = txid_current();
  IF TG_OP <> 'DELETE' THEN new_image := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(n.key) INTO fields
    FROM jsonb_each(new_image) n JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key
    WHERE n.value IS DISTINCT FROM o.value;
  END IF;
  INSERT INTO naive.audit_changes (id, transaction_id, table_schema, table_name, table_pk, op, data_after, changed_fields, captured_at)
  VALUES (gen_random_uuid(), tx, TG_TABLE_SCHEMA, TG_TABLE_NAME,
          jsonb_build_object('id', CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD)->'id' ELSE new_image->'id' END),
          lower(TG_OP), new_image, fields, clock_timestamp());
  RETURN NULL;
END $$;
`;

module.exports.naiveTriggerSql = (table) =>
  `CREATE TRIGGER naive_audit AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION naive.capture();`;

--# 001b (v12, only with capture.partitioning): audit_transactions and audit_changes as declarative range
--# partitions on the start of the audit transaction (audit_transactions.occurred_at and
--# audit_changes.transaction_occurred_at, both now() of the database transaction), so that one transaction
--# and all its changes always share a partition and a partition drop removes whole transactions. 001 has
--# just created the two tables as plain ones: while both are empty they are made again, partitioned, from
--# their own definition (LIKE: every column, default and CHECK written once, in 001), with the indexes 001
--# gave them. Primary keys include the partition key, as PostgreSQL requires of a partitioned table; the
--# change id comes from a sequence (PostgreSQL 15 allows no identity column on a partitioned table). A
--# default partition takes any row no range partition covers (a write past the last partition never
--# fails); 017's maintenance creates the ranges ahead and moves rows out of the default partitions.
DO $threadline$
DECLARE
  changes regclass := ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass;
  transactions regclass := ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass;
  indexes text[];
  grants text[];
  def text;
  grant_of record;
BEGIN
  IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = changes) = 'p'
     AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = transactions) = 'p' THEN
    RETURN;
  END IF;
  -- no writer may slip a row in between the check that both are empty and the drop
  LOCK TABLE :AUDIT_SCHEMA."audit_transactions", :AUDIT_SCHEMA."audit_changes" IN ACCESS EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_changes") OR EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_transactions") THEN
    RAISE EXCEPTION 'threadline: capture.partitioning is set, but the audit tables of schema % already hold rows in unpartitioned tables', ':AUDIT_SCHEMA_NAME_IN_LITERAL'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Move the log into partitions first, while the app runs: the partitions upgrade command (docs/scale.md), then run this migration again. Or leave capture.partitioning unset for this database.';
  END IF;
  -- the grants the plain tables had (the app role's SELECT: docs/trust.md) go to the partitioned ones
  grants := ARRAY(
    SELECT format('GRANT %s ON TABLE %s.%I TO %s%s', a.privilege_type, ':AUDIT_SCHEMA_IN_LITERAL', k.relname,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
    FROM pg_catalog.pg_class AS k, pg_catalog.aclexplode(k.relacl) AS a
    WHERE k.oid IN (changes, transactions) AND a.grantee <> k.relowner);
  indexes := ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index AS i
                   WHERE i.indrelid IN (changes, transactions) AND NOT i.indisprimary ORDER BY i.indexrelid);
  CREATE TABLE :AUDIT_SCHEMA."audit_transactions_partitioned" (LIKE :AUDIT_SCHEMA."audit_transactions" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (occurred_at);
  CREATE TABLE :AUDIT_SCHEMA."audit_changes_partitioned" (LIKE :AUDIT_SCHEMA."audit_changes" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (transaction_occurred_at);
  DROP TABLE :AUDIT_SCHEMA."audit_changes";
  DROP TABLE :AUDIT_SCHEMA."audit_transactions";
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions_partitioned" RENAME TO "audit_transactions";
  ALTER TABLE :AUDIT_SCHEMA."audit_changes_partitioned" RENAME TO "audit_changes";
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions" ADD PRIMARY KEY (id, occurred_at);
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions" ADD FOREIGN KEY (action_id) REFERENCES :AUDIT_SCHEMA."audit_actions" (id) ON DELETE SET NULL;
  CREATE SEQUENCE :AUDIT_SCHEMA."audit_changes_id_seq" AS bigint OWNED BY :AUDIT_SCHEMA."audit_changes".id;
  ALTER TABLE :AUDIT_SCHEMA."audit_changes" ALTER COLUMN id SET DEFAULT nextval(':AUDIT_SCHEMA_IN_LITERAL."audit_changes_id_seq"'::regclass);
  ALTER TABLE :AUDIT_SCHEMA."audit_changes" ADD PRIMARY KEY (id, transaction_occurred_at);
  FOREACH def IN ARRAY indexes || grants LOOP
    EXECUTE def;
  END LOOP;
  CREATE TABLE :AUDIT_SCHEMA."audit_transactions_default" PARTITION OF :AUDIT_SCHEMA."audit_transactions" DEFAULT;
  CREATE TABLE :AUDIT_SCHEMA."audit_changes_default" PARTITION OF :AUDIT_SCHEMA."audit_changes" DEFAULT;
  -- partitions are read and written through their parent: none keeps what ALTER DEFAULT PRIVILEGES grants
  FOR grant_of IN
    SELECT DISTINCT k.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS holder
    FROM pg_catalog.pg_class AS k, pg_catalog.aclexplode(k.relacl) AS a
    WHERE k.relnamespace = ':AUDIT_SCHEMA_IN_LITERAL'::regnamespace AND k.relname IN ('audit_transactions_default', 'audit_changes_default')
      AND a.grantee <> k.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %s.%I FROM %s', ':AUDIT_SCHEMA_IN_LITERAL', grant_of.relname, grant_of.holder);
  END LOOP;
END
$threadline$;

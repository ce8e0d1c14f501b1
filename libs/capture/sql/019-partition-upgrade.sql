--# 019 (v14): moving an existing, unpartitioned log into partitioned storage while the app writes
--# (`partitions upgrade`). Three steps, each one database transaction, so a process killed between or
--# inside them leaves the log whole and the next run goes on from where the last committed step left it:
--# - start: partitioned copies of the two tables, named audit_transactions_next and audit_changes_next, made
--#   as 001b makes them (LIKE the tables, the same indexes and grants), with a range partition for every
--#   interval the log holds transactions of and the intervals ahead; triggers on the old tables that apply
--#   every insert, update and delete to the copies in the writer's own transaction; the progress row.
--# - copy: one batch of rows the log held before start, oldest key first, locked FOR SHARE while they are
--#   copied (an update or delete of one of them waits, then finds its copy), ON CONFLICT DO NOTHING (a row
--#   the triggers already copied). Changes stored before v12 get their transaction's start as partition key.
--# - finish: both tables counted in one snapshot (the triggers write in the same transaction as the row they
--#   copy, so the counts agree in every snapshot once the copy is done); then, under ACCESS EXCLUSIVE taken
--#   yielding, the copies take the tables' names, indexes, constraints and sequence, the old tables stay beside
--#   them as audit_transactions_unpartitioned and audit_changes_unpartitioned (no indexes, no grants, for the
--#   operator to drop once verification passes), the interval is recorded and maintenance runs.
--# The result is the schema a fresh install with capture.partitioning creates (schema-upgrade.spec checks it).

-- Refuses, changing nothing, a finished or differently-configured upgrade; the same call again is a no-op.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_start"(wanted_period text, wanted_ahead int)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, YMD'
SET default_tablespace = ''
SET default_table_access_method = 'heap'
AS $threadline$
DECLARE
  step interval := CASE wanted_period WHEN 'day' THEN make_interval(days => 1) WHEN 'week' THEN make_interval(days => 7) WHEN 'month' THEN make_interval(months => 1) END;
  stored record;
  intervals timestamptz[];
  lo timestamptz;
  parent text;
  child text;
  def text;
  holder text;
  tmp text;
  renames jsonb := '{}';
  locks_needed bigint;
  lock_table bigint;
BEGIN
  IF step IS NULL OR wanted_ahead IS NULL OR wanted_ahead NOT BETWEEN 3 AND 24 THEN
    RAISE EXCEPTION 'threadline: a partitioning upgrade takes day, week or month and 3 to 24 intervals ahead (got %, %)', wanted_period, wanted_ahead
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one start at a time (a second one waits, then finds the first one's progress row), and none during maintenance
  LOCK TABLE :AUDIT_SCHEMA."audit_partitioning" IN SHARE ROW EXCLUSIVE MODE;
  IF to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_partition_upgrade"') IS NOT NULL THEN
    SELECT * INTO stored FROM :AUDIT_SCHEMA."audit_partition_upgrade";
    IF stored.period <> wanted_period OR stored.ahead <> wanted_ahead THEN
      RAISE EXCEPTION 'threadline: a partitioning upgrade by % (% ahead) is under way, not by % (% ahead)', stored.period, stored.ahead, wanted_period, wanted_ahead
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = format('Run it again with interval %s, or abort it (partitions upgrade --abort) and start again.', stored.period);
    END IF;
    RETURN false;
  END IF;
  IF (SELECT c.relkind FROM pg_class AS c WHERE c.oid = ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass) = 'p' THEN
    RAISE EXCEPTION 'threadline: the audit tables of schema % are partitioned already', ':AUDIT_SCHEMA_NAME_IN_LITERAL'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  FOREACH child IN ARRAY ARRAY['audit_transactions_next', 'audit_changes_next', 'audit_transactions_default', 'audit_changes_default',
                               'audit_transactions_unpartitioned', 'audit_changes_unpartitioned', 'audit_changes_next_id_seq'] LOOP
    IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL OR to_regtype(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL THEN
      RAISE EXCEPTION 'threadline: a partitioning upgrade needs the name %.%, which is taken', ':AUDIT_SCHEMA_NAME_IN_LITERAL', child
        USING ERRCODE = 'duplicate_table', HINT = 'Rename or drop that table, then run the upgrade again.';
    END IF;
  END LOOP;
  -- the intervals to create: each one the log holds transactions of (read before any lock: a full scan), now and
  -- the intervals ahead; a row that comes in an interval missed here goes to the default partition, which the
  -- maintenance at the end empties
  intervals := ARRAY(
    SELECT i FROM (SELECT DISTINCT date_trunc(wanted_period, t.occurred_at) AS i FROM :AUDIT_SCHEMA."audit_transactions" AS t WHERE isfinite(t.occurred_at)
                   UNION SELECT generate_series(date_trunc(wanted_period, now()), date_trunc(wanted_period, now()) + step * wanted_ahead, step)) AS x
    ORDER BY 1);
  -- start creates every partition in one transaction, each holding a lock on it and on each of its indexes until
  -- it commits: more than half of the server's shared lock table would fail with "out of shared memory", in this
  -- transaction or in any other that needed a lock meanwhile (the app's writes)
  locks_needed := 2 * cardinality(intervals) * (2 + (SELECT count(*) FROM pg_index AS i WHERE i.indrelid = ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass));
  lock_table := current_setting('max_locks_per_transaction')::bigint * (current_setting('max_connections')::bigint + current_setting('max_prepared_transactions')::bigint);
  IF cardinality(intervals) > 5000 OR locks_needed > lock_table / 2 THEN
    RAISE EXCEPTION 'threadline: the audit log spans % intervals of a %: an upgrade creating a partition of each in one transaction needs about % locks, and this server''s lock table holds % (max_locks_per_transaction × (max_connections + max_prepared_transactions)); at most 5000 partitions and half the lock table', cardinality(intervals), wanted_period, locks_needed, lock_table
      USING ERRCODE = 'program_limit_exceeded', HINT = 'Choose a longer interval (capture.partitioning.interval: week or month), or raise max_locks_per_transaction (a restart) and run the upgrade again.';
  END IF;
  CREATE TABLE :AUDIT_SCHEMA."audit_partition_upgrade" (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    period text NOT NULL,
    ahead int NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    transactions_after uuid,
    transactions_done boolean NOT NULL DEFAULT false,
    changes_after bigint NOT NULL DEFAULT 0,
    changes_upto bigint NOT NULL DEFAULT 0,
    changes_done boolean NOT NULL DEFAULT false,
    transactions_copied bigint NOT NULL DEFAULT 0,
    changes_copied bigint NOT NULL DEFAULT 0,
    index_names jsonb NOT NULL
  );
  CREATE TABLE :AUDIT_SCHEMA."audit_transactions_next" (LIKE :AUDIT_SCHEMA."audit_transactions" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (occurred_at);
  CREATE TABLE :AUDIT_SCHEMA."audit_changes_next" (LIKE :AUDIT_SCHEMA."audit_changes" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (transaction_occurred_at);
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions_next" ADD PRIMARY KEY (id, occurred_at);
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions_next" ADD FOREIGN KEY (action_id) REFERENCES :AUDIT_SCHEMA."audit_actions" (id) ON DELETE SET NULL;
  CREATE SEQUENCE :AUDIT_SCHEMA."audit_changes_next_id_seq" AS bigint OWNED BY :AUDIT_SCHEMA."audit_changes_next".id;
  ALTER TABLE :AUDIT_SCHEMA."audit_changes_next" ALTER COLUMN id SET DEFAULT nextval(':AUDIT_SCHEMA_IN_LITERAL."audit_changes_next_id_seq"'::regclass);
  ALTER TABLE :AUDIT_SCHEMA."audit_changes_next" ADD PRIMARY KEY (id, transaction_occurred_at);
  -- the tables' other indexes, under names of their own until finish gives them the old ones
  FOR def, parent, child IN
    SELECT pg_get_indexdef(i.indexrelid), k.relname::text, x.relname::text
    FROM pg_index AS i JOIN pg_class AS k ON k.oid = i.indrelid JOIN pg_class AS x ON x.oid = i.indexrelid
    WHERE i.indrelid IN (':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass) AND NOT i.indisprimary
    ORDER BY x.relname
  LOOP
    tmp := 'threadline_upgrade_' || substr(md5(child), 1, 16);
    IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', tmp)) IS NOT NULL OR to_regtype(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', tmp)) IS NOT NULL THEN
      RAISE EXCEPTION 'threadline: a partitioning upgrade needs the name %.%, which is taken', ':AUDIT_SCHEMA_NAME_IN_LITERAL', tmp
        USING ERRCODE = 'duplicate_table', HINT = 'Rename or drop that object, then run the upgrade again.';
    END IF;
    def := regexp_replace(def, '^(CREATE (UNIQUE )?INDEX )(\S+|"([^"]|"")+") ON (.*) USING ', '\1' || quote_ident(tmp) || ' ON ' || ':AUDIT_SCHEMA_IN_LITERAL.' || quote_ident(parent || '_next') || ' USING ');
    IF def !~ ('^CREATE (UNIQUE )?INDEX ' || tmp || ' ON ') THEN
      RAISE EXCEPTION 'threadline: cannot read the definition of index % of %', child, parent USING ERRCODE = 'internal_error';
    END IF;
    EXECUTE def;
    renames := renames || jsonb_build_object(tmp, child);
  END LOOP;
  INSERT INTO :AUDIT_SCHEMA."audit_partition_upgrade" (period, ahead, index_names) VALUES (wanted_period, wanted_ahead, renames);
  -- new tables get what ALTER DEFAULT PRIVILEGES grants: none of that (the progress row steers the switch), and the
  -- copies exactly the grants the tables have
  FOR child, holder IN
    SELECT DISTINCT k.relname::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
    FROM pg_class AS k, aclexplode(k.relacl) AS a
    WHERE k.relnamespace = ':AUDIT_SCHEMA_IN_LITERAL'::regnamespace AND k.relname IN ('audit_partition_upgrade', 'audit_transactions_next', 'audit_changes_next', 'audit_changes_next_id_seq')
      AND a.grantee <> k.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON %s %s.%I FROM %s', CASE WHEN child LIKE '%\_seq' THEN 'SEQUENCE' ELSE 'TABLE' END, ':AUDIT_SCHEMA_IN_LITERAL', child, holder);
  END LOOP;
  FOR def IN
    SELECT format('GRANT %s ON TABLE %s.%I TO %s%s', a.privilege_type, ':AUDIT_SCHEMA_IN_LITERAL', k.relname || '_next',
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
    FROM pg_class AS k, aclexplode(k.relacl) AS a
    WHERE k.oid IN (':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass) AND a.grantee <> k.relowner
  LOOP
    EXECUTE def;
  END LOOP;
  -- the partitions, named as maintenance names them (after the parent's final name)
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    EXECUTE format('CREATE TABLE %1$s.%2$I PARTITION OF %1$s.%3$I DEFAULT', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default', parent || '_next');
    FOREACH lo IN ARRAY intervals LOOP
      child := parent || '_p' || to_char(lo, 'YYYYMMDD');
      IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL OR to_regtype(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL THEN
        child := child || '_' || substr(md5(random()::text || clock_timestamp()::text), 1, 8);
      END IF;
      EXECUTE format('CREATE TABLE %1$s.%2$I PARTITION OF %1$s.%3$I FOR VALUES FROM (%4$L) TO (%5$L)',
                     ':AUDIT_SCHEMA_IN_LITERAL', child, parent || '_next', lo, lo + step);
    END LOOP;
  END LOOP;
  -- partitions are read and written through their parent: none keeps what ALTER DEFAULT PRIVILEGES granted
  FOR child, holder IN
    SELECT DISTINCT c.relname::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
    FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid, aclexplode(c.relacl) AS a
    WHERE i.inhparent IN (':AUDIT_SCHEMA_IN_LITERAL."audit_transactions_next"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_changes_next"'::regclass)
      AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %s.%I FROM %s', ':AUDIT_SCHEMA_IN_LITERAL', child, holder);
  END LOOP;
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_partition_upgrade" IS 'threadline: partitioning upgrade';
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_transactions_next" IS 'threadline: partitioning upgrade';
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_changes_next" IS 'threadline: partitioning upgrade';
  -- last, the writers held (briefly, yielding): from here every write to the old tables is copied with it, and
  -- the changes to copy are those up to the highest id stored now (later ones are the triggers')
  PERFORM :AUDIT_SCHEMA."threadline_lock_yielding"(ARRAY[':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass],
                                                   'SHARE', 'the partitioning upgrade', 40);
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    EXECUTE format('CREATE TRIGGER threadline_upgrade_insert AFTER INSERT ON %1$s.%2$I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.threadline_partition_upgrade_copy_rows(%2$L)',
                   ':AUDIT_SCHEMA_IN_LITERAL', parent);
    EXECUTE format('CREATE TRIGGER threadline_upgrade_update AFTER UPDATE ON %1$s.%2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.threadline_partition_upgrade_copy_rows(%2$L)',
                   ':AUDIT_SCHEMA_IN_LITERAL', parent);
    EXECUTE format('CREATE TRIGGER threadline_upgrade_delete AFTER DELETE ON %1$s.%2$I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$s.threadline_partition_upgrade_copy_rows(%2$L)',
                   ':AUDIT_SCHEMA_IN_LITERAL', parent);
  END LOOP;
  UPDATE :AUDIT_SCHEMA."audit_partition_upgrade" SET changes_upto = coalesce((SELECT max(c.id) FROM :AUDIT_SCHEMA."audit_changes" AS c), 0);
  RETURN true;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_start"(text, int) FROM PUBLIC;

-- The triggers of the old tables while an upgrade is under way: each statement's rows, in its own transaction.
-- An update or a delete removes the copy (found by its key; a change stored before v12 by its id alone), and an
-- update copies the new row where there was a copy to replace (otherwise the copy step takes it as it is then).
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_copy_rows"()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  replaced text[];
BEGIN
  -- only the old audit tables' own triggers, after each statement: whoever can EXECUTE this function (a grant of
  -- ALTER DEFAULT PRIVILEGES, say) cannot make it write the copies from a trigger on a table of their own
  IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_RELID IS DISTINCT FROM (CASE TG_ARGV[0]
       WHEN 'audit_transactions' THEN to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"')
       WHEN 'audit_changes' THEN to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_changes"') END) THEN
    RAISE EXCEPTION 'threadline: threadline_partition_upgrade_copy_rows runs only as the partitioning upgrade''s trigger on the audit tables'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_ARGV[0] = 'audit_transactions' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO :AUDIT_SCHEMA."audit_transactions_next" SELECT * FROM new_rows;
      RETURN NULL;
    END IF;
    WITH gone AS (DELETE FROM :AUDIT_SCHEMA."audit_transactions_next" AS n USING old_rows AS o
                  WHERE n.id = o.id AND n.occurred_at = o.occurred_at RETURNING n.id::text)
    SELECT array_agg(gone.id) INTO replaced FROM gone;
    IF TG_OP = 'UPDATE' AND replaced IS NOT NULL THEN
      INSERT INTO :AUDIT_SCHEMA."audit_transactions_next" SELECT w.* FROM new_rows AS w WHERE w.id::text = ANY (replaced);
    END IF;
  ELSIF TG_ARGV[0] = 'audit_changes' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO :AUDIT_SCHEMA."audit_changes_next" SELECT * FROM new_rows;
      RETURN NULL;
    END IF;
    WITH gone AS (DELETE FROM :AUDIT_SCHEMA."audit_changes_next" AS n USING old_rows AS o
                  WHERE n.id = o.id AND (o.transaction_occurred_at IS NULL OR n.transaction_occurred_at = o.transaction_occurred_at)
                  RETURNING n.id::text)
    SELECT array_agg(gone.id) INTO replaced FROM gone;
    IF TG_OP = 'UPDATE' AND replaced IS NOT NULL THEN
      INSERT INTO :AUDIT_SCHEMA."audit_changes_next" SELECT w.* FROM new_rows AS w WHERE w.id::text = ANY (replaced);
    END IF;
  END IF;
  RETURN NULL;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_copy_rows"() FROM PUBLIC;
COMMENT ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_copy_rows"() IS 'threadline: partitioning upgrade';

-- Nobody but the owner may EXECUTE a SECURITY DEFINER trigger function of Threadline's (capture's, marked by its
-- 'threadline:' comment, and the upgrade's): firing a trigger needs no EXECUTE, and with it a role could fire the
-- function from a trigger on a table of its own. REVOKE ... FROM PUBLIC leaves what ALTER DEFAULT PRIVILEGES
-- granted a role by name; this takes those back (capture functions generated later do the same). The same for the
-- change id's sequence: with a grant on it a role could set the next id back (and ids would be stored twice).
DO $threadline$
DECLARE
  revoke text;
BEGIN
  FOR revoke IN
    SELECT DISTINCT format('REVOKE ALL ON FUNCTION %s FROM %s', p.oid::regprocedure,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)
    FROM pg_catalog.pg_proc AS p, pg_catalog.aclexplode(p.proacl) AS a
    WHERE p.prosecdef AND p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype AND a.grantee <> p.proowner
      AND pg_catalog.obj_description(p.oid, 'pg_proc') LIKE 'threadline:%'
    UNION ALL
    SELECT DISTINCT format('REVOKE ALL ON SEQUENCE %s FROM %s', k.oid::regclass,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)
    FROM pg_catalog.pg_class AS k, pg_catalog.aclexplode(k.relacl) AS a
    WHERE k.oid = pg_catalog.pg_get_serial_sequence(':AUDIT_SCHEMA_IN_LITERAL."audit_changes"', 'id')::regclass AND a.grantee <> k.relowner
  LOOP
    EXECUTE revoke;
  END LOOP;
END
$threadline$;

-- One batch of the rows stored before start: transactions (by id) until none is left, then changes (by id, up
-- to the highest at start). Returns the table the batch read, how many rows it read and copied, and whether
-- that table is done. One copier at a time (the progress row is locked); each batch is its own transaction.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_copy"(batch_size int)
RETURNS TABLE (table_name text, read bigint, copied bigint, done boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  progress record;
  cols text;
  last_tx uuid;
  last_change bigint;
BEGIN
  IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'threadline: a partitioning upgrade copies 1 to 100000 rows a batch (got %)', batch_size USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one step at a time: a finish or an abort in another session is waited for, then seen
  LOCK TABLE :AUDIT_SCHEMA."audit_partitioning" IN SHARE ROW EXCLUSIVE MODE;
  IF to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_partition_upgrade"') IS NULL THEN
    RAISE EXCEPTION 'threadline: no partitioning upgrade is under way' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  SELECT * INTO progress FROM :AUDIT_SCHEMA."audit_partition_upgrade" FOR UPDATE;
  IF NOT progress.transactions_done THEN
    table_name := 'audit_transactions';
    WITH b AS (SELECT t.* FROM :AUDIT_SCHEMA."audit_transactions" AS t
               WHERE t.id > coalesce(progress.transactions_after, '00000000-0000-0000-0000-000000000000') ORDER BY t.id LIMIT batch_size FOR SHARE),
         c AS (INSERT INTO :AUDIT_SCHEMA."audit_transactions_next" SELECT * FROM b ON CONFLICT DO NOTHING RETURNING 1)
    SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM c), (SELECT b.id FROM b ORDER BY b.id DESC LIMIT 1) INTO read, copied, last_tx;
    done := read = 0;
    UPDATE :AUDIT_SCHEMA."audit_partition_upgrade"
      SET transactions_after = coalesce(last_tx, transactions_after), transactions_done = done, transactions_copied = transactions_copied + copied;
    RETURN NEXT;
    RETURN;
  END IF;
  table_name := 'audit_changes';
  done := progress.changes_done;
  read := 0;
  copied := 0;
  IF NOT done THEN
    -- the columns in the table's order, the partition key of a change stored before v12 taken from its transaction
    -- (of one without a transaction, which verification reports, from its capture time: it is kept, as it is)
    SELECT string_agg(CASE a.attname WHEN 'transaction_occurred_at' THEN 'coalesce(b.transaction_occurred_at, b.threadline_started, b.captured_at)' ELSE 'b.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
      INTO cols FROM pg_attribute AS a
      WHERE a.attrelid = ':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format($sql$
      WITH b AS (SELECT c.*, t.occurred_at AS threadline_started FROM %1$s."audit_changes" AS c
                 LEFT JOIN %1$s."audit_transactions" AS t ON t.id = c.transaction_id AND c.transaction_occurred_at IS NULL
                 WHERE c.id > $1 AND c.id <= $2 ORDER BY c.id LIMIT $3 FOR SHARE OF c),
           ins AS (INSERT INTO %1$s."audit_changes_next" SELECT %2$s FROM b ON CONFLICT DO NOTHING RETURNING 1)
      SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM ins), (SELECT max(b.id) FROM b)$sql$, ':AUDIT_SCHEMA_IN_LITERAL', cols)
      USING progress.changes_after, progress.changes_upto, batch_size INTO read, copied, last_change;
    done := read = 0;
    UPDATE :AUDIT_SCHEMA."audit_partition_upgrade"
      SET changes_after = coalesce(last_change, changes_after), changes_done = done, changes_copied = changes_copied + copied;
  END IF;
  RETURN NEXT;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_copy"(int) FROM PUBLIC;

-- Refuses, changing nothing, before the copy is done or when the copies and the tables do not hold the same
-- number of rows. Returns how many transactions and changes the partitioned tables hold.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_finish"()
RETURNS TABLE (transactions bigint, changes bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  progress record;
  old_transactions bigint;
  old_changes bigint;
  last_id bigint;
  called boolean;
  old_sequence text;
  parent text;
  item record;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'threadline: the end of a partitioning upgrade runs at READ COMMITTED, not %', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  -- one step at a time: a finish or an abort in another session is waited for, then seen
  LOCK TABLE :AUDIT_SCHEMA."audit_partitioning" IN SHARE ROW EXCLUSIVE MODE;
  IF to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_partition_upgrade"') IS NULL THEN
    RAISE EXCEPTION 'threadline: no partitioning upgrade is under way' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  SELECT * INTO progress FROM :AUDIT_SCHEMA."audit_partition_upgrade" FOR UPDATE;
  IF NOT (progress.transactions_done AND progress.changes_done) THEN
    RAISE EXCEPTION 'threadline: the partitioning upgrade has not copied every row yet' USING ERRCODE = 'object_not_in_prerequisite_state',
      HINT = 'Run partitions upgrade again: it goes on copying, then finishes.';
  END IF;
  -- one snapshot: a write and its copy commit together, so the counts agree whenever the copy is complete
  SELECT (SELECT count(*) FROM :AUDIT_SCHEMA."audit_transactions"), (SELECT count(*) FROM :AUDIT_SCHEMA."audit_transactions_next"),
         (SELECT count(*) FROM :AUDIT_SCHEMA."audit_changes"), (SELECT count(*) FROM :AUDIT_SCHEMA."audit_changes_next")
    INTO old_transactions, transactions, old_changes, changes;
  IF old_transactions <> transactions OR old_changes <> changes THEN
    RAISE EXCEPTION 'threadline: the partitioned copies hold % transactions and % changes, the audit tables % and %; nothing was switched', transactions, changes, old_transactions, old_changes
      USING ERRCODE = 'data_corrupted', HINT = 'Abort the upgrade (partitions upgrade --abort), verify the log (verify), and start again.';
  END IF;
  PERFORM :AUDIT_SCHEMA."threadline_lock_yielding"(ARRAY[':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass,
                                                         ':AUDIT_SCHEMA_IN_LITERAL."audit_changes_next"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions_next"'::regclass],
                                                   'ACCESS EXCLUSIVE', 'the partitioning upgrade', 40);
  -- the old tables give up their triggers, names, indexes, constraints, identity and grants, and keep their rows
  old_sequence := pg_get_serial_sequence(':AUDIT_SCHEMA_IN_LITERAL."audit_changes"', 'id');
  EXECUTE format('SELECT last_value, is_called FROM %s', old_sequence) INTO last_id, called;
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    FOR item IN SELECT t.tgname::text AS name FROM pg_trigger AS t WHERE t.tgrelid = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass AND t.tgname LIKE 'threadline\_upgrade\_%' LOOP
      EXECUTE format('DROP TRIGGER %I ON %s.%I', item.name, ':AUDIT_SCHEMA_IN_LITERAL', parent);
    END LOOP;
    FOR item IN SELECT k.conname::text AS name FROM pg_constraint AS k WHERE k.conrelid = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass AND k.contype IN ('p', 'f', 'u') LOOP
      EXECUTE format('ALTER TABLE %s.%I DROP CONSTRAINT %I', ':AUDIT_SCHEMA_IN_LITERAL', parent, item.name);
    END LOOP;
    FOR item IN SELECT x.relname::text AS name FROM pg_index AS i JOIN pg_class AS x ON x.oid = i.indexrelid WHERE i.indrelid = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass LOOP
      EXECUTE format('DROP INDEX %s.%I', ':AUDIT_SCHEMA_IN_LITERAL', item.name);
    END LOOP;
    FOR item IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS holder
                FROM pg_class AS k, aclexplode(k.relacl) AS a WHERE k.oid = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass AND a.grantee <> k.relowner LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s.%I FROM %s', ':AUDIT_SCHEMA_IN_LITERAL', parent, item.holder);
    END LOOP;
  END LOOP;
  ALTER TABLE :AUDIT_SCHEMA."audit_changes" ALTER COLUMN id DROP IDENTITY;
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions" RENAME TO "audit_transactions_unpartitioned";
  ALTER TABLE :AUDIT_SCHEMA."audit_changes" RENAME TO "audit_changes_unpartitioned";
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_transactions_unpartitioned" IS 'threadline: partitioning upgrade';
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_changes_unpartitioned" IS 'threadline: partitioning upgrade';
  -- the copies take the names (their indexes and constraints were named after *_next or given names of their own)
  ALTER TABLE :AUDIT_SCHEMA."audit_transactions_next" RENAME TO "audit_transactions";
  ALTER TABLE :AUDIT_SCHEMA."audit_changes_next" RENAME TO "audit_changes";
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_transactions" IS NULL;
  COMMENT ON TABLE :AUDIT_SCHEMA."audit_changes" IS NULL;
  -- constraints named after *_next, on the parents and on the partitions (which got copies under the same names)
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    FOR item IN SELECT k.conrelid::regclass::text AS rel, k.conname::text AS name FROM pg_constraint AS k
                WHERE starts_with(k.conname, parent || '_next_')
                  AND k.conrelid IN (SELECT format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass
                                     UNION ALL SELECT i.inhrelid FROM pg_inherits AS i WHERE i.inhparent = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent)::regclass) LOOP
      EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', item.rel, item.name, parent || '_' || substr(item.name, length(parent) + 7));
    END LOOP;
  END LOOP;
  FOR item IN SELECT e.key AS tmp, e.value AS name FROM jsonb_each_text(progress.index_names) AS e LOOP
    EXECUTE format('ALTER INDEX %s.%I RENAME TO %I', ':AUDIT_SCHEMA_IN_LITERAL', item.tmp, item.name);
  END LOOP;
  ALTER SEQUENCE :AUDIT_SCHEMA."audit_changes_next_id_seq" RENAME TO "audit_changes_id_seq";
  -- the next id: after the old identity's last and after every id stored
  PERFORM setval(':AUDIT_SCHEMA_IN_LITERAL."audit_changes_id_seq"',
                 greatest(CASE WHEN called THEN last_id + 1 ELSE last_id END, coalesce((SELECT max(c.id) FROM :AUDIT_SCHEMA."audit_changes" AS c), 0) + 1), false);
  DROP TABLE :AUDIT_SCHEMA."audit_partition_upgrade";
  PERFORM :AUDIT_SCHEMA."threadline_partitioning_set"(progress.period, progress.ahead);
  PERFORM :AUDIT_SCHEMA."threadline_partitions_maintain_at"(now());
  RETURN NEXT;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_finish"() FROM PUBLIC;

-- Drops what start made (the copies, the triggers, the progress row): the audit tables stay as they were.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_abort"()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  parent text;
BEGIN
  LOCK TABLE :AUDIT_SCHEMA."audit_partitioning" IN SHARE ROW EXCLUSIVE MODE;
  IF to_regclass(':AUDIT_SCHEMA_IN_LITERAL."audit_partition_upgrade"') IS NULL THEN
    RETURN false;
  END IF;
  PERFORM :AUDIT_SCHEMA."threadline_lock_yielding"(ARRAY[':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass],
                                                   'ACCESS EXCLUSIVE', 'aborting the partitioning upgrade', 40);
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS threadline_upgrade_insert ON %1$s.%2$I; DROP TRIGGER IF EXISTS threadline_upgrade_update ON %1$s.%2$I; DROP TRIGGER IF EXISTS threadline_upgrade_delete ON %1$s.%2$I',
                   ':AUDIT_SCHEMA_IN_LITERAL', parent);
  END LOOP;
  DROP TABLE :AUDIT_SCHEMA."audit_changes_next", :AUDIT_SCHEMA."audit_transactions_next", :AUDIT_SCHEMA."audit_partition_upgrade";
  RETURN true;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_upgrade_abort"() FROM PUBLIC;

--# 017 (v12): maintenance of partitioned storage (001b). Installed with or without capture.partitioning:
--# without it audit_partitioning stays empty and the functions do nothing. Every range partition is one
--# interval of the audit transaction's start, in UTC, named <table>_p<YYYYMMDD> after its first day;
--# audit_transactions and audit_changes always get the same ranges.
-- The interval partitioned storage was installed with (one row; none: not partitioned). The install
-- writes it (threadline_partitioning_set); changing it once ranges exist is refused.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_partitioning" (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  period text NOT NULL CHECK (period IN ('day', 'week', 'month')),
  ahead int NOT NULL CHECK (ahead BETWEEN 3 AND 24),
  set_at timestamptz NOT NULL DEFAULT now()
);

-- The partitions of both tables with their bounds (NULL for the default partition), and how many rows each
-- default partition holds, counted up to 10000 (a read of the status stays cheap). Bounds are read back from
-- the catalog's text under fixed settings, so a session's TimeZone or DateStyle cannot move them. With the
-- owner's rights: the app's role reads the audit tables, not their partitions, and health asks it this.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partitions"()
RETURNS TABLE (table_name text, partition_name text, from_at timestamptz, to_at timestamptz, is_default boolean, default_rows bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, YMD'
AS $threadline$
DECLARE
  part record;
  bound text[];
BEGIN
  FOR part IN
    SELECT p.relname::text AS parent, c.relname::text AS child, pg_get_expr(c.relpartbound, c.oid) AS spec
    FROM pg_class AS p
    JOIN pg_inherits AS i ON i.inhparent = p.oid
    JOIN pg_class AS c ON c.oid = i.inhrelid
    WHERE p.relnamespace = ':AUDIT_SCHEMA_IN_LITERAL'::regnamespace AND p.relkind = 'p'
      AND p.relname IN ('audit_transactions', 'audit_changes')
    ORDER BY 1, 3, 2
  LOOP
    bound := regexp_match(part.spec, '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$');
    table_name := part.parent;
    partition_name := part.child;
    from_at := bound[1]::timestamptz;
    to_at := bound[2]::timestamptz;
    is_default := part.spec = 'DEFAULT';
    default_rows := NULL;
    IF is_default THEN
      EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s.%I LIMIT 10000) AS d', ':AUDIT_SCHEMA_IN_LITERAL', part.child) INTO default_rows;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partitions"() FROM PUBLIC;

-- One range partition of one table, unless a partition already covers part of the range: created on its
-- own and then attached (ATTACH takes a lock that lets capture go on writing; CREATE TABLE ... PARTITION OF
-- would stop every writer of the parent). Rows of the range that went to the default partition are moved
-- into it first, under the default partition's lock (and, for a range that has begun, the parent's, which
-- holds writers before they route a row). threadline_partitions_maintain_at takes these locks first.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partition_create"(parent text, lo timestamptz, hi timestamptz)
RETURNS int
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, YMD'
SET default_tablespace = ''
SET default_table_access_method = 'heap'
AS $threadline$
DECLARE
  key_column text := CASE parent WHEN 'audit_changes' THEN 'transaction_occurred_at' WHEN 'audit_transactions' THEN 'occurred_at' END;
  child text := parent || '_p' || to_char(lo, 'YYYYMMDD');
  fallback text;
  holder text;
BEGIN
  IF key_column IS NULL OR lo IS NULL OR hi IS NULL OR hi <= lo THEN
    RAISE EXCEPTION 'threadline: no partition of % from % to %', parent, lo, hi USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."threadline_partitions"() AS p
             WHERE p.table_name = parent AND NOT p.is_default AND p.from_at < hi AND p.to_at > lo) THEN
    RETURN 0;
  END IF;
  IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL
     OR to_regtype(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)) IS NOT NULL THEN
    -- the name is taken by a table or a type that is not this partition (names are predictable: someone may
    -- create one ahead): a name with a random tail instead, which nobody can take ahead; bounds, not names, count
    fallback := child || '_' || substr(md5(random()::text || clock_timestamp()::text), 1, 8);
    RAISE WARNING 'threadline: a table named %.% exists and is not a partition of %; the partition from % is named % instead', ':AUDIT_SCHEMA_NAME_IN_LITERAL', child, parent, lo, fallback;
    child := fallback;
  END IF;
  EXECUTE format('CREATE TABLE %1$s.%2$I (LIKE %1$s.%3$I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', ':AUDIT_SCHEMA_IN_LITERAL', child, parent);
  -- a new table gets whatever ALTER DEFAULT PRIVILEGES grants; a partition is read and written only through
  -- its parent (whose grants apply), so it keeps none: nobody but the owner can write it directly
  FOR holder IN
    SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
    FROM pg_class AS k, aclexplode(k.relacl) AS a
    WHERE k.oid = format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', child)::regclass AND a.grantee <> k.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %s.%I FROM %s', ':AUDIT_SCHEMA_IN_LITERAL', child, holder);
  END LOOP;
  IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default')) IS NOT NULL THEN
    -- A writer routed to the default partition that waited for it would fail once its bounds narrow ("violates
    -- partition constraint"). When writers can route into the range now (it has begun, or begins within the
    -- hour), they are held at the parent instead, before they are routed, for the move and the attach; then
    -- they go on into the new partition. A writer's key is its transaction's start, so a range still ahead
    -- takes none, and creating it holds nobody.
    IF lo <= clock_timestamp() + interval '1 hour' THEN
      EXECUTE format('LOCK TABLE %s.%I IN SHARE ROW EXCLUSIVE MODE', ':AUDIT_SCHEMA_IN_LITERAL', parent);
    END IF;
    -- ACCESS EXCLUSIVE at once, as ATTACH needs it: taking EXCLUSIVE first and upgrading would deadlock with a
    -- writer that read the default partition and then writes it
    EXECUTE format('LOCK TABLE %s.%I IN ACCESS EXCLUSIVE MODE', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default');
    EXECUTE format('WITH moved AS (DELETE FROM %1$s.%2$I WHERE %3$I >= $1 AND %3$I < $2 RETURNING *) INSERT INTO %1$s.%4$I SELECT * FROM moved',
                   ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default', key_column, child) USING lo, hi;
  END IF;
  EXECUTE format('ALTER TABLE %1$s.%2$I ATTACH PARTITION %1$s.%3$I FOR VALUES FROM (%4$L) TO (%5$L)',
                 ':AUDIT_SCHEMA_IN_LITERAL', parent, child, lo, hi);
  RETURN 1;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partition_create"(text, timestamptz, timestamptz) FROM PUBLIC;

-- Maintenance as of `at`: the partitions of the interval holding `at` and of the `ahead` intervals after it,
-- and one for every interval the default partitions hold rows of (writes that came while maintenance did not
-- run), so the default partitions end empty unless a row has no start time. One run at a time (several app
-- instances may run it); idempotent. Returns how many partitions it created. Only the owner may run it with a
-- time of their choosing: the app's role gets threadline_partitions_maintain(), which runs it for now().
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partitions_maintain_at"("at" timestamptz)
RETURNS int
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  config record;
  step interval;
  lo timestamptz;
  wanted timestamptz[];
  missing timestamptz[];
  found_in_default timestamptz[];
  created int := 0;
  parent text;
  locked boolean := false;
  holders text;
BEGIN
  IF "at" IS NULL OR NOT isfinite("at") THEN
    RAISE EXCEPTION 'threadline: partition maintenance needs a finite time (got %)', "at" USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO config FROM :AUDIT_SCHEMA."audit_partitioning";
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  LOCK TABLE :AUDIT_SCHEMA."audit_partitioning" IN SHARE ROW EXCLUSIVE MODE;
  step := CASE config.period WHEN 'day' THEN make_interval(days => 1) WHEN 'week' THEN make_interval(days => 7) ELSE make_interval(months => 1) END;
  -- the intervals wanted: the current one and `ahead` after it, and each one the default partitions hold rows of
  -- (a default partition that is missing holds none; a row at an infinite time has no interval and stays there)
  wanted := ARRAY(SELECT s FROM generate_series(date_trunc(config.period, "at"), date_trunc(config.period, "at") + step * config.ahead, step) AS s);
  FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
    IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default')) IS NOT NULL THEN
      EXECUTE format('SELECT array_agg(DISTINCT date_trunc($1, d.%1$I)) FROM %2$s.%3$I AS d WHERE isfinite(d.%1$I)',
                     CASE parent WHEN 'audit_changes' THEN 'transaction_occurred_at' ELSE 'occurred_at' END,
                     ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default')
        USING config.period INTO found_in_default;
      wanted := wanted || coalesce(found_in_default, '{}');
    END IF;
  END LOOP;
  missing := ARRAY(
    SELECT DISTINCT w FROM unnest(wanted) AS w
    WHERE EXISTS (SELECT 1 FROM unnest(ARRAY['audit_transactions', 'audit_changes']) AS p(name)
                  WHERE NOT EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."threadline_partitions"() AS x
                                    WHERE x.table_name = p.name AND NOT x.is_default AND x.from_at < w + step AND x.to_at > w))
    ORDER BY 1);
  IF cardinality(missing) = 0 THEN
    RETURN 0; -- nothing to make: no lock taken, whatever the isolation level
  END IF;
  -- Rows committed while maintenance waited for its locks must be seen by the move: each statement needs a
  -- fresh snapshot, as at READ COMMITTED (at repeatable read the attach would find rows the move missed)
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'threadline: partition maintenance runs at READ COMMITTED, not % (it must see rows committed while it waited for its locks)', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state', HINT = 'Call it in a transaction started with BEGIN ISOLATION LEVEL READ COMMITTED (the scheduled job and `partitions maintain` do).';
  END IF;
  -- Every lock the run needs, taken before anything changes, each wait short, in a subtransaction that gives
  -- back what it got when one is refused: maintenance never waits holding a lock a writer waits for (writers
  -- take the audit tables in no one order: a capture reads audit_transactions then writes audit_changes, an
  -- action reads audit_changes then updates audit_transactions), so it yields rather than deadlocks.
  FOR attempt IN 1..40 LOOP
    BEGIN
      -- each wait ends before the server's deadlock check would fire in a writer waiting on maintenance
      -- (deadlock_timeout, 1 s by default): the writer is never the one aborted
      PERFORM set_config('lock_timeout', greatest(10, least(200, extract(epoch FROM current_setting('deadlock_timeout')::interval) * 500))::int || 'ms', true);
      IF EXISTS (SELECT 1 FROM unnest(missing) AS m WHERE m <= clock_timestamp() + interval '1 hour') THEN
        -- audit_changes first, as a capture's INSERT takes it before its transaction row
        LOCK TABLE :AUDIT_SCHEMA."audit_changes", :AUDIT_SCHEMA."audit_transactions" IN SHARE ROW EXCLUSIVE MODE;
      END IF;
      FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
        IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default')) IS NOT NULL THEN
          EXECUTE format('LOCK TABLE %s.%I IN ACCESS EXCLUSIVE MODE', ':AUDIT_SCHEMA_IN_LITERAL', parent || '_default');
        END IF;
      END LOOP;
      locked := true;
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      PERFORM pg_sleep(0.05 + random() * 0.2);
    END;
  END LOOP;
  IF NOT locked THEN
    SELECT string_agg(DISTINCT l.pid::text, ', ') INTO holders FROM pg_locks AS l
    WHERE l.granted AND l.pid <> pg_backend_pid() AND l.relation IN (
      SELECT to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', n))
      FROM unnest(ARRAY['audit_transactions', 'audit_changes', 'audit_transactions_default', 'audit_changes_default']) AS n);
    RAISE EXCEPTION 'threadline: partition maintenance could not lock the audit tables in 40 tries (held by pid %); nothing was changed, and the next run tries again', coalesce(holders, '(gone)')
      USING ERRCODE = 'lock_not_available', HINT = 'A long transaction holds them: pg_stat_activity shows what those pids run; end it, then run partition maintenance again.';
  END IF;
  PERFORM set_config('lock_timeout', '10s', true);
  FOREACH lo IN ARRAY missing LOOP
    FOREACH parent IN ARRAY ARRAY['audit_transactions', 'audit_changes'] LOOP
      created := created + :AUDIT_SCHEMA."threadline_partition_create"(parent, lo, lo + step);
    END LOOP;
  END LOOP;
  RETURN created;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partitions_maintain_at"(timestamptz) FROM PUBLIC;

-- What the scheduled job and `partitions maintain` call: maintenance for now(), with the owner's rights
-- (creating a partition needs them), so the app's role can run it with EXECUTE and nothing more.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partitions_maintain"()
RETURNS int
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $threadline$
  SELECT :AUDIT_SCHEMA."threadline_partitions_maintain_at"(now());
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partitions_maintain"() FROM PUBLIC;

-- Records the interval at install (capture.partitioning); the same interval again is a no-op.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_partitioning_set"(wanted_period text, wanted_ahead int)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  stored record;
BEGIN
  SELECT * INTO stored FROM :AUDIT_SCHEMA."audit_partitioning" FOR UPDATE;
  IF FOUND AND stored.period <> wanted_period AND EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."threadline_partitions"() AS p WHERE NOT p.is_default) THEN
    RAISE EXCEPTION 'threadline: the audit tables are partitioned by %, not by % (capture.partitioning.interval)', stored.period, wanted_period
      USING ERRCODE = 'feature_not_supported', HINT = format('Set capture.partitioning.interval back to ''%s'': the interval of existing partitions cannot change.', stored.period);
  END IF;
  INSERT INTO :AUDIT_SCHEMA."audit_partitioning" AS a (period, ahead) VALUES (wanted_period, wanted_ahead)
  ON CONFLICT (singleton) DO UPDATE SET period = EXCLUDED.period, ahead = EXCLUDED.ahead
  WHERE (a.period, a.ahead) IS DISTINCT FROM (EXCLUDED.period, EXCLUDED.ahead);
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_partitioning_set"(text, int) FROM PUBLIC;

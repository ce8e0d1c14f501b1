--# 018 (v13): retention by partition (docs/scale.md "Retention by partition"). The retention purge's step for
--# one range of partitioned storage that lies wholly before its cutoff: the range partitions of
--# audit_transactions and audit_changes that begin at `lo` are dropped, or detached (kept as tables outside
--# the audit log, for an archive), after every sealed transaction they hold is recorded whole in the sealed
--# purge ledger, as threadline_record_purge records a batch's. The owner's, like the purge: the purge's own
--# rules (each table's window, legal holds) are checked by the caller first, under the holds' lock.
--
-- Actions that purges before v13 left behind when they removed their transaction whole: the proof of them went
-- with it (verification excused them, so one forged later passed too). Kept, outside the log, in
-- audit_actions_unproven; from v13 every purge removes a transaction's actions with it and verification reports
-- any action without its transaction.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_actions_unproven" (LIKE :AUDIT_SCHEMA."audit_actions");
REVOKE ALL ON TABLE :AUDIT_SCHEMA."audit_actions_unproven" FROM PUBLIC;
WITH moved AS (
  DELETE FROM :AUDIT_SCHEMA."audit_actions" AS a
  WHERE a.transaction_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_transactions" AS t WHERE t.id = a.transaction_id)
    AND EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_seals" AS s JOIN :AUDIT_SCHEMA."audit_purged" AS p ON p.seal_seq = s.seq AND p.change_id IS NULL
                WHERE s.transaction_id = a.transaction_id)
  RETURNING a.*
)
INSERT INTO :AUDIT_SCHEMA."audit_actions_unproven" SELECT * FROM moved;
--
-- Locks `rels` in `mode`, each wait shorter than half of deadlock_timeout, in a subtransaction that gives back
-- what it got when one is refused, up to 40 tries: the caller never waits holding a lock a writer or reader
-- needs, so it yields rather than deadlocks. After `tries` it fails naming the pids that hold them.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_lock_yielding"(rels regclass[], mode text, what text, tries int DEFAULT 40)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  holders text;
  wait text := greatest(10, least(200, extract(epoch FROM current_setting('deadlock_timeout')::interval) * 500))::int || 'ms';
  before text := current_setting('lock_timeout');
BEGIN
  IF mode NOT IN ('SHARE', 'ACCESS EXCLUSIVE') OR rels IS NULL OR cardinality(rels) = 0 OR array_position(rels, NULL) IS NOT NULL
     OR tries IS NULL OR tries NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'threadline: threadline_lock_yielding takes tables, SHARE or ACCESS EXCLUSIVE, and 1 to 100 tries (got %, %, %)', rels, mode, tries
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR attempt IN 1..tries LOOP
    BEGIN
      PERFORM set_config('lock_timeout', wait, true);
      EXECUTE format('LOCK TABLE %s IN %s MODE', (SELECT string_agg(r::text, ', ' ORDER BY o) FROM unnest(rels) WITH ORDINALITY AS x(r, o)), mode);
      PERFORM set_config('lock_timeout', before, true);
      RETURN;
    EXCEPTION WHEN lock_not_available THEN
      PERFORM pg_sleep(0.05 + random() * 0.2);
    END;
  END LOOP;
  SELECT string_agg(DISTINCT l.pid::text, ', ') INTO holders FROM pg_locks AS l
  WHERE l.granted AND l.pid <> pg_backend_pid() AND l.relation = ANY (rels);
  RAISE EXCEPTION 'threadline: % could not lock % in % tries (held by pid %); nothing was changed, and the next run tries again', what, rels, tries, coalesce(holders, '(gone)')
    USING ERRCODE = 'lock_not_available', HINT = 'A long transaction holds them: pg_stat_activity shows what those pids run; end it, then run the purge again.';
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_lock_yielding"(regclass[], text, text, int) FROM PUBLIC;

-- Refuses, changing nothing, when the two partitions do not have the same bounds, end after `cutoff`, or hold a
-- change captured at or after it (a transaction that began in the range and wrote later). First, holding nothing
-- a writer waits for (plain reads, and the deletes of the range's actions): the counts, the range's actions (part
-- of each transaction's seal: an action left behind would outlive the proof of it; with `detach` they are kept in
-- a table of their own beside the partitions), the ledger rows and the purge seal. Then every lock the drop needs
-- at once, yielding (a writer never waits on a lock this run holds while it waits itself): both parents and both
-- partitions ACCESS EXCLUSIVE; a recheck that nothing was written into the range meanwhile; the drop.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_purge_partition"(lo timestamptz, cutoff timestamptz, detach boolean)
RETURNS TABLE (changes_partition text, transactions_partition text, from_at timestamptz, to_at timestamptz, changes bigint, transactions bigint, sealed int)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, YMD'
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  ch record;
  tx record;
  ch_rel regclass;
  tx_rel regclass;
  actions_kept text;
  late boolean;
  naming bigint;
  fk name;
  n bigint;
  published boolean;
BEGIN
  IF lo IS NULL OR cutoff IS NULL OR detach IS NULL OR NOT isfinite(lo) OR NOT isfinite(cutoff) THEN
    RAISE EXCEPTION 'threadline: threadline_purge_partition takes a finite range start, a finite cutoff and whether to detach (got %, %, %)', lo, cutoff, detach
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'threadline: a purge by partition runs at READ COMMITTED, not % (its checks must see rows committed while it waited for its locks)', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  -- the sealers' lock first: nothing is sealed between reading which transactions are sealed and the drop, and
  -- a second purge of the same range waits here, then finds it gone
  LOCK TABLE :AUDIT_SCHEMA."audit_seals" IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO ch FROM :AUDIT_SCHEMA."threadline_partitions"() AS p WHERE p.table_name = 'audit_changes' AND NOT p.is_default AND p.from_at = lo;
  SELECT * INTO tx FROM :AUDIT_SCHEMA."threadline_partitions"() AS p WHERE p.table_name = 'audit_transactions' AND NOT p.is_default AND p.from_at = lo;
  IF ch.partition_name IS NULL OR tx.partition_name IS NULL OR ch.to_at IS DISTINCT FROM tx.to_at THEN
    RAISE EXCEPTION 'threadline: no range partitions of audit_transactions and audit_changes with the same bounds begin at %', lo
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF ch.to_at > cutoff THEN
    RAISE EXCEPTION 'threadline: the partitions from % to % do not lie wholly before the cutoff %', ch.from_at, ch.to_at, cutoff
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  ch_rel := format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', ch.partition_name)::regclass;
  tx_rel := format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', tx.partition_name)::regclass;
  -- one read of the changes: how many, and whether any was captured at or after the cutoff
  EXECUTE format('SELECT count(*), coalesce(bool_or(NOT c.captured_at < $1), false) FROM %s AS c', ch_rel) USING cutoff INTO changes, late;
  IF late THEN
    RAISE EXCEPTION 'threadline: partition % holds changes captured at or after the cutoff %', ch.partition_name, cutoff
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  changes_partition := ch.partition_name;
  transactions_partition := tx.partition_name;
  from_at := ch.from_at;
  to_at := ch.to_at;
  EXECUTE format('SELECT count(*) FROM %s', tx_rel) INTO transactions;
  -- An archive by logical replication receives audit_transactions' updates: the actions' foreign key would clear
  -- action_id on rows of the range first, an UPDATE the archive applies, and its copy would no longer match the seals
  published := EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables AS pt
                       WHERE pt.schemaname = ':AUDIT_SCHEMA_NAME_IN_LITERAL' AND pt.tablename IN ('audit_transactions', tx.partition_name));
  -- dropped: the range's actions go now (their foreign key clears action_id on rows about to be dropped too), or,
  -- published, under the locks once the range is detached (its rows no longer published);
  -- detached: under the locks, after the detach, so the archived rows stay as they were sealed
  IF NOT detach AND NOT published THEN
    EXECUTE format('DELETE FROM %s."audit_actions" AS a WHERE a.transaction_id IN (SELECT t.id FROM %s AS t)', ':AUDIT_SCHEMA_IN_LITERAL', tx_rel);
  END IF;
  -- what a later action would change: the transactions that name one (none, but those of actions from before v5,
  -- which name no transaction and so stay)
  EXECUTE format('SELECT count(*) FILTER (WHERE t.action_id IS NOT NULL) FROM %s AS t', tx_rel) INTO naming;
  n := (SELECT max(x.seq) + 1 FROM :AUDIT_SCHEMA."audit_seals" AS x);
  EXECUTE format('INSERT INTO %s."audit_purged" (purge_seq, seal_seq, change_id, change_sha256)
                  SELECT $1, x.seq, NULL, NULL FROM %s AS t JOIN %s."audit_seals" AS x ON x.transaction_id = t.id',
                 ':AUDIT_SCHEMA_IN_LITERAL', tx_rel, ':AUDIT_SCHEMA_IN_LITERAL') USING n;
  GET DIAGNOSTICS sealed = ROW_COUNT;
  IF sealed > 0 THEN
    PERFORM :AUDIT_SCHEMA."threadline_purge_seal"(n);
  END IF;
  -- in the order writers take them: a capture's INSERT locks audit_changes, then the function it calls for the
  -- transaction row audit_transactions (holding audit_transactions first, a purge met writers that held
  -- audit_changes and waited for it, and under steady writes never got both)
  PERFORM :AUDIT_SCHEMA."threadline_lock_yielding"(
    ARRAY[':AUDIT_SCHEMA_IN_LITERAL."audit_changes"'::regclass, ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions"'::regclass, ch_rel, tx_rel],
    'ACCESS EXCLUSIVE', 'a purge by partition', 10);
  -- written meanwhile, by a transaction that began in the range: a change (captured now, after the cutoff), a
  -- transaction row, or an action (it sets its transaction's action_id: the deletes above cleared those)
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s AS c WHERE NOT c.captured_at < $1)
                         OR (SELECT (count(*), count(*) FILTER (WHERE t.action_id IS NOT NULL)) <> ($2, $3) FROM %s AS t)', ch_rel, tx_rel)
    USING cutoff, transactions, naming INTO late;
  IF late THEN
    RAISE EXCEPTION 'threadline: partitions % and % were written to while the purge waited for its locks', ch.partition_name, tx.partition_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF detach THEN
    EXECUTE format('ALTER TABLE %s."audit_changes" DETACH PARTITION %s', ':AUDIT_SCHEMA_IN_LITERAL', ch_rel);
    EXECUTE format('ALTER TABLE %s."audit_transactions" DETACH PARTITION %s', ':AUDIT_SCHEMA_IN_LITERAL', tx_rel);
    -- the archived transactions keep their action ids; their actions (those naming them, and any older one
    -- they name) are kept beside them, then leave the log: the foreign key goes first, so deleting them
    -- changes no archived row
    FOR fk IN SELECT k.conname FROM pg_catalog.pg_constraint AS k WHERE k.conrelid = tx_rel AND k.contype = 'f' LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tx_rel, fk);
    END LOOP;
    actions_kept := tx.partition_name || '_actions';
    IF to_regclass(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', actions_kept)) IS NOT NULL
       OR to_regtype(format('%s.%I', ':AUDIT_SCHEMA_IN_LITERAL', actions_kept)) IS NOT NULL THEN
      actions_kept := actions_kept || '_' || substr(md5(random()::text || clock_timestamp()::text), 1, 8);
    END IF;
    EXECUTE format('CREATE TABLE %1$s.%2$I AS SELECT a.* FROM %1$s."audit_actions" AS a
                    WHERE a.transaction_id IN (SELECT t.id FROM %3$s AS t) OR a.id IN (SELECT t.action_id FROM %3$s AS t)',
                   ':AUDIT_SCHEMA_IN_LITERAL', actions_kept, tx_rel);
    EXECUTE format('REVOKE ALL ON TABLE %s.%I FROM PUBLIC', ':AUDIT_SCHEMA_IN_LITERAL', actions_kept);
    EXECUTE format('DELETE FROM %s."audit_actions" AS a WHERE a.transaction_id IN (SELECT t.id FROM %s AS t)', ':AUDIT_SCHEMA_IN_LITERAL', tx_rel);
    -- no longer the log's, and not the app's: coverage leaves tables with this comment out (DETACHED_COMMENT)
    EXECUTE format('COMMENT ON TABLE %s IS %L', ch_rel, 'threadline: detached audit range');
    EXECUTE format('COMMENT ON TABLE %s IS %L', tx_rel, 'threadline: detached audit range');
    EXECUTE format('COMMENT ON TABLE %s.%I IS %L', ':AUDIT_SCHEMA_IN_LITERAL', actions_kept, 'threadline: detached audit range');
  ELSE
    IF published THEN
      EXECUTE format('ALTER TABLE %s."audit_transactions" DETACH PARTITION %s', ':AUDIT_SCHEMA_IN_LITERAL', tx_rel);
      EXECUTE format('DELETE FROM %s."audit_actions" AS a WHERE a.transaction_id IN (SELECT t.id FROM %s AS t)', ':AUDIT_SCHEMA_IN_LITERAL', tx_rel);
    END IF;
    EXECUTE format('DROP TABLE %s, %s', ch_rel, tx_rel);
  END IF;
  RETURN NEXT;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_purge_partition"(timestamptz, timestamptz, boolean) FROM PUBLIC;

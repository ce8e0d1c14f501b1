--# 005: tamper evidence, its functions. The hash expressions below (a change's, an action's, a
--# transaction's content, a chain step, a purge's content) are written out from seal-hash.ts, where
--# the integrity check builds the same ones at run time; install-sql.spec.ts checks they agree, so a
--# change to one is a change to both.
--#
--# threadline_jsonb_sha256(jsonb): a jsonb value's hash built value by value (an object's keys in byte
--# order, each key and value hashed; an array's elements in order; a string's own text, not its escaped
--# JSON), so no text over 1 GB is ever built. Slower than hashing the text: only transactions sealed in
--# format 3 (a change too large to write as text) use it.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_jsonb_sha256"(j jsonb, depth int DEFAULT 0) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $threadline$
  -- Below 32 levels a value is hashed as its text: what is that deep is small, and the recursion
  -- stays far from PostgreSQL's stack limit.
  SELECT CASE WHEN depth >= 32 THEN sha256(convert_to('t', 'UTF8') || convert_to(j::text, 'UTF8'))
    ELSE CASE jsonb_typeof(j)
    WHEN 'object' THEN sha256(convert_to('o', 'UTF8') || coalesce((
      SELECT string_agg(sha256(convert_to(e.key, 'UTF8')) || :AUDIT_SCHEMA."threadline_jsonb_sha256"(e.value, depth + 1), ''::bytea ORDER BY e.key COLLATE "C")
      FROM jsonb_each(j) AS e), ''::bytea))
    WHEN 'array' THEN sha256(convert_to('a', 'UTF8') || coalesce((
      SELECT string_agg(:AUDIT_SCHEMA."threadline_jsonb_sha256"(e.value, depth + 1), ''::bytea ORDER BY e.ord)
      FROM jsonb_array_elements(j) WITH ORDINALITY AS e(value, ord)), ''::bytea))
    WHEN 'string' THEN sha256(convert_to('s', 'UTF8') || convert_to(j #>> '{}', 'UTF8'))
    ELSE sha256(convert_to(j::text, 'UTF8'))
  END END
$threadline$;

--# threadline_tree_fold(hashes): the root of a complete subtree from its leaves' hashes, in order (a
--# power of two of them): pairs hashed into their parent, level by level.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_tree_fold"(h bytea[])
RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  node_prefix constant bytea := decode('01', 'hex');
  n int := cardinality(h);
BEGIN
  WHILE n > 1 LOOP
    FOR i IN 1 .. n / 2 LOOP
      h[i] := sha256(node_prefix || h[2 * i - 1] || h[2 * i]);
    END LOOP;
    n := n / 2;
  END LOOP;
  RETURN h[1];
END
$threadline$;
--# threadline_tree_grow(): extends the Merkle tree (004, audit_seal_tree) to every seal. Each run of 16
--# seals, once complete, is stored as its level-4 node (the levels below are recomputed from the seals
--# when a proof needs them: storing them cost sealing 1.5x, this about 1.03x); then level by level the
--# nodes whose two children are both there. It takes the sealers' lock (the sealer and the purge ledger
--# call it holding it already), so two never grow the tree at once and there is one tree. Returns how
--# many seals the stored levels cover.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_tree_grow"()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  chunks bigint;
  lvl int := 4;
  from_idx bigint;
  added bigint;
BEGIN
  LOCK TABLE :AUDIT_SCHEMA."audit_seals" IN SHARE ROW EXCLUSIVE MODE;
  SELECT coalesce(max(n.idx) + 1, 0) INTO chunks FROM :AUDIT_SCHEMA."audit_seal_tree" AS n WHERE n.level = 4;
  INSERT INTO :AUDIT_SCHEMA."audit_seal_tree" (level, idx, hash)
  SELECT 4, l.chunk, :AUDIT_SCHEMA."threadline_tree_fold"(array_agg(l.h ORDER BY l.seq))
  FROM (SELECT (s.seq - 1) / 16 AS chunk, s.seq,
          sha256(decode('00', 'hex') || convert_to(s.seq::text || ':' || coalesce(s.transaction_id::text, 'purge')
            || CASE WHEN s.format = 1 THEN '' ELSE ':' || s.format::text || ':' || s.change_count::text END, 'UTF8') || s.content_sha256) AS h
        FROM :AUDIT_SCHEMA."audit_seals" AS s WHERE s.seq > chunks * 16) AS l
  GROUP BY l.chunk HAVING count(*) = 16
  ON CONFLICT (level, idx) DO NOTHING;
  GET DIAGNOSTICS added = ROW_COUNT;
  from_idx := chunks;
  WHILE added > 0 LOOP
    -- One range of one level, read once and paired by parent: linear whatever the planner's statistics
    -- say (a self-join planned as a nested loop on a table analyzed while empty read the level per row).
    INSERT INTO :AUDIT_SCHEMA."audit_seal_tree" (level, idx, hash)
    SELECT lvl + 1, p.parent, sha256(decode('01', 'hex') || p.pair[1] || p.pair[2])
    FROM (SELECT n.idx / 2 AS parent, array_agg(n.hash ORDER BY n.idx) AS pair
          FROM :AUDIT_SCHEMA."audit_seal_tree" AS n
          WHERE n.level = lvl AND n.idx >= from_idx - from_idx % 2
          GROUP BY n.idx / 2 HAVING count(*) = 2) AS p
    ON CONFLICT (level, idx) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    lvl := lvl + 1;
    from_idx := from_idx / 2;
  END LOOP;
  SELECT coalesce(max(n.idx) + 1, 0) * 16 INTO chunks FROM :AUDIT_SCHEMA."audit_seal_tree" AS n WHERE n.level = 4;
  RETURN chunks;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_tree_grow"() FROM PUBLIC;
COMMENT ON FUNCTION :AUDIT_SCHEMA."threadline_tree_grow"() IS 'Extends the Merkle tree over the seals (Threadline, docs/trust.md)';

--# threadline_seal(n): sealing happens after commit, not in the audited transaction: a chain extended
--# at commit makes every audited transaction wait on one lock (docs/trust.md has the measured cost of
--# both). The sealer seals every audit transaction that committed since its last run, in the order it
--# finds them; it finds them by txid at or after the previous run's horizon (the oldest transaction
--# still running then), so one that started earlier and committed later is sealed by a later run,
--# never skipped.
--# - Its argument is checked: a count outside 1..100000 (SEAL_BATCH_MAX) is refused (a negative one
--#   would have moved the horizon past what it never read); 5000 is SEAL_BATCH.
--# - A horizon ahead of the oldest running transaction cannot happen on one server (txids only grow):
--#   the database was restored into another cluster, whose txids start again low. The sealer then
--#   looks at every unsealed transaction once, and from then on only at txids the server has handed
--#   out, so what the old cluster left stays sealed and what the new one writes is sealed too.
--# - Sealers take a lock on the seals table that the app's role cannot take (it holds SELECT only),
--#   and wait for it at most 10 s (SEAL_LOCK_TIMEOUT_SECONDS), then fail naming the session that holds it.
--# - The chain: seal n's hash is SHA-256 of seal n-1's hash (32 zero bytes before the first), the text
--#   <n>:<transaction id>:<format>:<change count> ('purge' for a purge seal), and the content hash.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_seal"(max_transactions int DEFAULT 5000)
RETURNS TABLE (sealed int, pending boolean, last_seq bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  previous record;
  holder record;
  horizon_now bigint;
  from_txid bigint;
  upto_txid bigint;
  own_txid bigint;
  batch uuid[];
  more boolean;
  n bigint;
  chain bytea;
  candidate record;
  content bytea;
  changes int;
  fmt smallint;
  done int := 0;
BEGIN
  IF max_transactions IS NULL OR max_transactions < 1 OR max_transactions > 100000 THEN
    RAISE EXCEPTION 'threadline: threadline_seal(max_transactions) takes a whole number from 1 to 100000 (got %)', coalesce(max_transactions::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  BEGIN
    LOCK TABLE :AUDIT_SCHEMA."audit_seals" IN SHARE ROW EXCLUSIVE MODE;
  EXCEPTION WHEN lock_not_available THEN
    SELECT l.pid, a.xact_start, a.usename INTO holder
    FROM pg_catalog.pg_locks AS l LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'relation' AND l.relation = ':AUDIT_SCHEMA_IN_LITERAL."audit_seals"'::regclass AND l.granted
      AND l.mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock', 'RowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock')
      AND l.pid <> pg_backend_pid()
    ORDER BY a.xact_start NULLS LAST LIMIT 1;
    RAISE EXCEPTION 'threadline: the sealer is busy: held by pid % (role %) since %; waited 10 s. Sealing resumes when that transaction ends (SELECT pg_terminate_backend(%) ends it)',
      coalesce(holder.pid::text, '?'), coalesce(holder.usename::text, '?'), coalesce(to_char(holder.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'a time hidden from ' || current_user || ' (grant it pg_read_all_stats to see it)'), coalesce(holder.pid::text, '?')
      USING ERRCODE = 'lock_not_available';
  END;
  SELECT s.seq, s.chain_sha256, s.horizon INTO previous FROM :AUDIT_SCHEMA."audit_seals" AS s ORDER BY s.seq DESC LIMIT 1;
  from_txid := coalesce(previous.horizon, 0);
  -- Taken before the candidates are read: every transaction older than this has ended, and the
  -- candidate query (a later snapshot) sees all of them that committed.
  horizon_now := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
  -- The caller's own transaction is never a candidate: it has not committed (and may write more).
  own_txid := txid_current();
  upto_txid := own_txid;
  IF from_txid > horizon_now THEN
    -- Restored into another cluster: look at every unsealed transaction once.
    from_txid := 0;
    upto_txid := NULL;
  END IF;
  -- The batch is picked first, so only its transactions are hashed.
  SELECT array_agg(b.id ORDER BY b.occurred_at, b.id) INTO batch
  FROM (SELECT t.id, t.occurred_at FROM :AUDIT_SCHEMA."audit_transactions" AS t
        WHERE t.txid >= from_txid AND (upto_txid IS NULL OR t.txid <= upto_txid) AND t.txid <> own_txid
          AND NOT EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_seals" AS x WHERE x.transaction_id = t.id)
          AND NOT (t.source IS NOT DISTINCT FROM 'threadline:baseline' AND NOT coalesce(t.meta ? 'completed_at', false))
        ORDER BY t.occurred_at, t.id
        LIMIT max_transactions + 1) AS b;
  more := coalesce(cardinality(batch), 0) > max_transactions;
  IF more THEN batch := batch[1:max_transactions]; END IF;
  n := coalesce(previous.seq, 0);
  chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
  BEGIN
    FOR candidate IN
      SELECT t.id, sha256(
  sha256(convert_to(jsonb_build_array(t.id, t.txid, to_jsonb(t.occurred_at AT TIME ZONE 'UTC'), t.source, t.meta, t.actor_ref, t.correlation_id, t.request_id, t.action_id, (t.meta IS NULL)::int::text || (t.actor_ref IS NULL)::int::text)::text, 'UTF8'))
  || CASE WHEN t.action_id IS NULL THEN decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')
          ELSE sha256(coalesce((SELECT string_agg(sha256(convert_to(jsonb_build_array(a.id, a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, to_jsonb(a.inserted_at AT TIME ZONE 'UTC'), a.transaction_id)::text, 'UTF8')), ''::bytea ORDER BY a.inserted_at, a.id)
                                FROM :AUDIT_SCHEMA."audit_actions" AS a WHERE a.transaction_id = t.id), ''::bytea)) END
  || sha256(coalesce(d.change_hashes, ''::bytea))) AS content, d.changes
      FROM unnest(batch) WITH ORDINALITY AS b(id, ord)
        JOIN :AUDIT_SCHEMA."audit_transactions" AS t ON t.id = b.id
        CROSS JOIN LATERAL (SELECT count(*)::int AS changes, string_agg(sha256(convert_to(jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.table_pk, c.previous_pk, c.data_after, c.changed_fields::text, c.changed_from, to_jsonb(c.captured_at AT TIME ZONE 'UTC'), (c.previous_pk IS NULL)::int::text || (c.data_after IS NULL)::int::text || (c.changed_from IS NULL)::int::text)::text, 'UTF8')), ''::bytea ORDER BY c.id) AS change_hashes
  FROM :AUDIT_SCHEMA."audit_changes" AS c WHERE c.transaction_id = t.id) AS d
      ORDER BY b.ord
    LOOP
      n := n + 1;
      chain := sha256(chain || convert_to((n)::text || ':' || (candidate.id)::text || ':' || (2)::text || ':' || (candidate.changes)::text, 'UTF8') || candidate.content);
      INSERT INTO :AUDIT_SCHEMA."audit_seals" (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
      VALUES (n, candidate.id, candidate.changes, candidate.content, chain, from_txid, clock_timestamp(), 2);
    END LOOP;
  EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
    -- A change too large to write as text: seal this batch one transaction at a time, any such one
    -- in format 3 (its seals above were rolled back with the block).
    n := coalesce(previous.seq, 0);
    chain := coalesce(previous.chain_sha256, decode(repeat('00', 32), 'hex'));
    FOR candidate IN SELECT b.id FROM unnest(batch) WITH ORDINALITY AS b(id, ord) ORDER BY b.ord LOOP
      BEGIN
        fmt := 2;
        SELECT sha256(
  sha256(convert_to(jsonb_build_array(t.id, t.txid, to_jsonb(t.occurred_at AT TIME ZONE 'UTC'), t.source, t.meta, t.actor_ref, t.correlation_id, t.request_id, t.action_id, (t.meta IS NULL)::int::text || (t.actor_ref IS NULL)::int::text)::text, 'UTF8'))
  || CASE WHEN t.action_id IS NULL THEN decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')
          ELSE sha256(coalesce((SELECT string_agg(sha256(convert_to(jsonb_build_array(a.id, a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, to_jsonb(a.inserted_at AT TIME ZONE 'UTC'), a.transaction_id)::text, 'UTF8')), ''::bytea ORDER BY a.inserted_at, a.id)
                                FROM :AUDIT_SCHEMA."audit_actions" AS a WHERE a.transaction_id = t.id), ''::bytea)) END
  || sha256(coalesce(d.change_hashes, ''::bytea))), d.changes INTO content, changes
        FROM :AUDIT_SCHEMA."audit_transactions" AS t CROSS JOIN LATERAL (SELECT count(*)::int AS changes, string_agg(sha256(convert_to(jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.table_pk, c.previous_pk, c.data_after, c.changed_fields::text, c.changed_from, to_jsonb(c.captured_at AT TIME ZONE 'UTC'), (c.previous_pk IS NULL)::int::text || (c.data_after IS NULL)::int::text || (c.changed_from IS NULL)::int::text)::text, 'UTF8')), ''::bytea ORDER BY c.id) AS change_hashes
  FROM :AUDIT_SCHEMA."audit_changes" AS c WHERE c.transaction_id = t.id) AS d WHERE t.id = candidate.id;
      EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
        fmt := 3;
        SELECT sha256(
  sha256(convert_to(jsonb_build_array(t.id, t.txid, to_jsonb(t.occurred_at AT TIME ZONE 'UTC'), t.source, t.meta, t.actor_ref, t.correlation_id, t.request_id, t.action_id, (t.meta IS NULL)::int::text || (t.actor_ref IS NULL)::int::text)::text, 'UTF8'))
  || CASE WHEN t.action_id IS NULL THEN decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')
          ELSE sha256(coalesce((SELECT string_agg(sha256(convert_to(jsonb_build_array(a.id, a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, to_jsonb(a.inserted_at AT TIME ZONE 'UTC'), a.transaction_id)::text, 'UTF8')), ''::bytea ORDER BY a.inserted_at, a.id)
                                FROM :AUDIT_SCHEMA."audit_actions" AS a WHERE a.transaction_id = t.id), ''::bytea)) END
  || sha256(coalesce(d.change_hashes, ''::bytea))), d.changes INTO content, changes
        FROM :AUDIT_SCHEMA."audit_transactions" AS t CROSS JOIN LATERAL (SELECT count(*)::int AS changes, string_agg(sha256(sha256(convert_to(jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.changed_fields::text, to_jsonb(c.captured_at AT TIME ZONE 'UTC'))::text, 'UTF8'))
    || coalesce(:AUDIT_SCHEMA."threadline_jsonb_sha256"(c.table_pk), sha256(''::bytea)) || coalesce(:AUDIT_SCHEMA."threadline_jsonb_sha256"(c.previous_pk), sha256(''::bytea)) || coalesce(:AUDIT_SCHEMA."threadline_jsonb_sha256"(c.data_after), sha256(''::bytea)) || coalesce(:AUDIT_SCHEMA."threadline_jsonb_sha256"(c.changed_from), sha256(''::bytea))), ''::bytea ORDER BY c.id) AS change_hashes
  FROM :AUDIT_SCHEMA."audit_changes" AS c WHERE c.transaction_id = t.id) AS d
        WHERE t.id = candidate.id;
      END;
      n := n + 1;
      chain := sha256(chain || convert_to((n)::text || ':' || (candidate.id)::text || ':' || (fmt)::text || ':' || (changes)::text, 'UTF8') || content);
      INSERT INTO :AUDIT_SCHEMA."audit_seals" (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
      VALUES (n, candidate.id, changes, content, chain, from_txid, clock_timestamp(), fmt);
    END LOOP;
  END;
  done := n - coalesce(previous.seq, 0);
  IF done > 0 THEN PERFORM :AUDIT_SCHEMA."threadline_tree_grow"(); END IF;
  IF more THEN
    -- More remain: keep the old horizon so the next call finds them.
    RETURN QUERY SELECT done, true, n;
    RETURN;
  END IF;
  IF done > 0 THEN
    UPDATE :AUDIT_SCHEMA."audit_seals" AS s SET horizon = horizon_now WHERE s.seq = n;
  ELSIF previous.seq IS NOT NULL AND previous.horizon IS DISTINCT FROM horizon_now THEN
    UPDATE :AUDIT_SCHEMA."audit_seals" AS s SET horizon = horizon_now WHERE s.seq = previous.seq;
  END IF;
  RETURN QUERY SELECT done, false, n;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_seal"(int) FROM PUBLIC;
COMMENT ON FUNCTION :AUDIT_SCHEMA."threadline_seal"(int) IS 'Seals committed audit transactions into the hash chain (Threadline, README "Trust")';
--# threadline_purge_seal(n) (v13): appends purge seal n, whose content hashes the ledger rows of purge n
--# (audit_purged), to the chain after seal n - 1, and grows the tree. Its callers (threadline_record_purge,
--# threadline_purge_partition) hold the sealers' lock and have just written those rows.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_purge_seal"(n bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  previous record;
  changes int;
  content bytea;
BEGIN
  SELECT x.chain_sha256, x.horizon INTO previous FROM :AUDIT_SCHEMA."audit_seals" AS x WHERE x.seq = n - 1;
  IF NOT FOUND OR EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_seals" AS x WHERE x.seq >= n) THEN
    RAISE EXCEPTION 'threadline: purge seal % must follow the last seal', n USING ERRCODE = 'invalid_parameter_value';
  END IF;
  changes := (SELECT count(*) FROM :AUDIT_SCHEMA."audit_purged" AS p WHERE p.purge_seq = n);
  content := sha256(convert_to(coalesce((SELECT string_agg(p.seal_seq::text || ':' || coalesce(p.change_id::text, '*') || ':' || coalesce(encode(p.change_sha256, 'hex'), ''), E'\n' ORDER BY p.seal_seq, p.change_id NULLS FIRST)
  FROM :AUDIT_SCHEMA."audit_purged" AS p WHERE p.purge_seq = n), ''), 'UTF8'));
  INSERT INTO :AUDIT_SCHEMA."audit_seals" (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format, kind)
  VALUES (n, NULL, changes, content, sha256(previous.chain_sha256 || convert_to((n)::text || ':' || ('purge')::text || ':' || (2)::text || ':' || (changes)::text, 'UTF8') || content), previous.horizon, clock_timestamp(), 2, 'purge');
  PERFORM :AUDIT_SCHEMA."threadline_tree_grow"();
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_purge_seal"(bigint) FROM PUBLIC;
--# threadline_record_purge(removed, emptied): called by a purge batch in its own transaction, after
--# its deletes. removed is a jsonb array of [change id, transaction id, change hash hex] of the changes
--# it deleted, emptied the transactions it deleted. For those already sealed it writes the ledger rows
--# (audit_purged) and appends a purge seal to the chain, under the sealers' lock. Returns how many
--# ledger rows it wrote.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_record_purge"(removed jsonb, emptied uuid[])
RETURNS int
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $threadline$
DECLARE
  previous record;
  n bigint;
  whole int;
  partial int;
BEGIN
  IF jsonb_typeof(removed) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge(removed) takes a jsonb array of [change id, transaction id, hash] (got %)', left(coalesce(removed::text, 'NULL'), 80)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOCK TABLE :AUDIT_SCHEMA."audit_seals" IN SHARE ROW EXCLUSIVE MODE;
  -- It records what was removed, nothing else: every change and transaction named must be gone, and a
  -- change of a transaction sealed from v5 on needs its hash (the purge takes the sealers' lock before
  -- it deletes, so none is sealed in between).
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(removed) AS r JOIN :AUDIT_SCHEMA."audit_changes" AS c ON c.id = (r->>0)::bigint)
     OR EXISTS (SELECT 1 FROM :AUDIT_SCHEMA."audit_transactions" AS t WHERE t.id = ANY (coalesce(emptied, '{}'))) THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge records only changes and transactions already deleted; some are still there'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(removed) AS r JOIN :AUDIT_SCHEMA."audit_seals" AS x ON x.transaction_id = (r->>1)::uuid
             WHERE x.format <> 1 AND r->>2 IS NULL AND NOT ((r->>1)::uuid = ANY (coalesce(emptied, '{}')))) THEN
    RAISE EXCEPTION 'threadline: threadline_record_purge needs the hash of each removed change of a transaction sealed from v5 on (it was sealed after the delete read it)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT x.seq, x.chain_sha256, x.horizon INTO previous FROM :AUDIT_SCHEMA."audit_seals" AS x ORDER BY x.seq DESC LIMIT 1;
  IF previous.seq IS NULL THEN RETURN 0; END IF;
  n := previous.seq + 1;
  INSERT INTO :AUDIT_SCHEMA."audit_purged" (purge_seq, seal_seq, change_id, change_sha256)
  SELECT n, x.seq, NULL, NULL FROM :AUDIT_SCHEMA."audit_seals" AS x WHERE x.transaction_id = ANY (coalesce(emptied, '{}'));
  GET DIAGNOSTICS whole = ROW_COUNT;
  INSERT INTO :AUDIT_SCHEMA."audit_purged" (purge_seq, seal_seq, change_id, change_sha256)
  SELECT n, x.seq, (r->>0)::bigint, decode(r->>2, 'hex')
  FROM jsonb_array_elements(removed) AS r JOIN :AUDIT_SCHEMA."audit_seals" AS x ON x.transaction_id = (r->>1)::uuid
  WHERE NOT ((r->>1)::uuid = ANY (coalesce(emptied, '{}')));
  GET DIAGNOSTICS partial = ROW_COUNT;
  IF whole + partial = 0 THEN RETURN 0; END IF;
  PERFORM :AUDIT_SCHEMA."threadline_purge_seal"(n);
  RETURN whole + partial;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_record_purge"(jsonb, uuid[]) FROM PUBLIC;
--# v8: the tree of the seals made before it (once; later calls find nothing to add).
DO $threadline$ BEGIN PERFORM :AUDIT_SCHEMA."threadline_tree_grow"(); END $threadline$;

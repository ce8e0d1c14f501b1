--# 009: threadline_capture_sql(table, function_name, settings), the trigger generator. It reads the
--# live catalog (the key, each column's type, which columns are redacted by name or attribute number),
--# builds the trigger function's body, its stamp, and the triggers on the table and every partition
--# below it, and returns them as one SQL script (threadline_capture, 010, runs it; gen-triggers writes
--# it into a migration). In three parts:
--# 1. catalog reading: the key, redaction by name or attribute number (a renamed masked column stays
--#    masked, and a new column that takes a redacted name is redacted too), per-column change
--#    detection, and the guard of a function deployed without the DDL event trigger;
--# 2. the body (body := format($b$ ... $b$, ...)): the INSERT, UPDATE, DELETE and TRUNCATE capture;
--# 3. the stamp (the settings and what they resolved to, trigger-stamp.ts reads it back) and the
--#    triggers.
--# Change detection compares stored representations: plain = only for types whose equality implies
--# identical text (integers, uuid, times, ...), byte-wise "C" comparison for text, scale as well as
--# value for numeric, and the text form for every other type (citext, json, jsonb, arrays, floats,
--# custom types).
-- Takes EXECUTE on a function back from every role but its owner, PUBLIC and roles ALTER DEFAULT PRIVILEGES named
-- alike (REVOKE ... FROM PUBLIC leaves the latter). Capture's generated SQL calls it for each trigger function.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_revoke_function_grants"(target regprocedure)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $threadline$
DECLARE
  holder text;
BEGIN
  FOR holder IN
    SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
    FROM pg_proc AS p, aclexplode(p.proacl) AS a WHERE p.oid = target AND a.grantee <> p.proowner
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %s', target, holder);
  END LOOP;
END
$threadline$;
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_revoke_function_grants"(regprocedure) FROM PUBLIC;

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_capture_sql"(target regclass, function_name text, settings jsonb)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $generator$
DECLARE
  rel_schema text;
  rel_name text;
  fn text;
  placeholder text := coalesce(settings->>'maskPlaceholder', '[REDACTED]');
  store_from boolean := coalesce((settings->>'storeChangedFrom')::boolean, false);
  record_noop boolean := coalesce((settings->>'recordNoopUpdates')::boolean, false);
  in_replica boolean := coalesce((settings->>'captureInReplicaRole')::boolean, false);
  col record;
  pk text[];
  exclude_names text[] := '{}';
  mask_names text[] := '{}';
  except_names text[] := '{}';
  exclude_nums int[] := '{}';
  mask_nums int[] := '{}';
  except_nums int[] := '{}';
  all_names text[] := '{}';
  -- Fail closed: on a table with any redaction, a column added since capture was last generated
  -- from the configuration (attribute number above this) is masked until the configuration is
  -- applied again: TypeORM's synchronize renames by DROP + ADD, which no attribute number follows.
  -- A stamp from before classifiedThrough (schema v5 and earlier), regenerated after DDL: the columns
  -- it was generated for are those its column signature names; anything else is new.
  classified_through int := coalesce((settings->>'classifiedThrough')::int,
    CASE WHEN settings ? 'keepExistingTriggers' AND settings ? 'columnSignature' THEN
      coalesce((SELECT max(a.attnum) FROM pg_attribute a
                WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.attname || ':' || a.atttypid::text = ANY (string_to_array(split_part(settings->>'columnSignature', ';pk=', 1), ','))), 0)
    END,
    (SELECT max(a.attnum) FROM pg_attribute a WHERE a.attrelid = target AND a.attnum > 0));
  redacting boolean := jsonb_array_length(coalesce(settings->'exclude', '[]')) + jsonb_array_length(coalesce(settings->'mask', '[]'))
    + jsonb_array_length(coalesce(settings->'excludeAttnums', '[]')) + jsonb_array_length(coalesce(settings->'maskAttnums', '[]')) > 0;
  unclassified_names text[] := '{}';
  differs text;
  changed_items text[] := '{}';
  hidden_items text[] := '{}';
  key_changed text[] := '{}';
  image_new text;
  image_old text;
  pk_new text;
  pk_old text;
  ord text := 'threadline_ord';
  img text := 'threadline_image';
  fixed text;
  changed_sql text;
  hidden_sql text;
  update_head text;
  update_tail text;
  pair_columns text;
  one_row text;
  numbered text;
  guard text := '';
  fallback jsonb := '{}';
  layouts jsonb;
  body text;
  tag text := '$threadline$';
  stamp jsonb;
  ddl_trigger boolean;
  triggers text := '';
  part regclass;
  trig record;
  i int := 0;
BEGIN
--# Part 1, catalog reading: the key, redaction by name or attribute number, per-column change detection
--# (differs: the expression that says whether a column changed), the guard.
  SELECT n.nspname, c.relname INTO rel_schema, rel_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = target AND c.relkind IN ('r', 'p');
  IF rel_name IS NULL THEN
    RAISE EXCEPTION 'threadline: % is not a table; capture applies to tables and partitioned tables', target
      USING ERRCODE = 'wrong_object_type';
  END IF;
  fn := format('%I.%I', rel_schema, function_name);

  SELECT array_agg(a.attname::text ORDER BY k.pos) INTO pk
  FROM pg_index x
  CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
  WHERE x.indrelid = target AND x.indisprimary;
  IF pk IS NULL THEN
    RAISE EXCEPTION 'threadline: table %.% has no primary key; audit rows are keyed by it, so add one before capturing it', rel_schema, rel_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;

  -- Which columns are redacted or ignored: by configured name or by the
  -- attribute number they had when capture was deployed (a rename keeps it).
  FOR col IN
    SELECT a.attnum::int AS attnum, a.attname::text AS name,
      (SELECT coalesce(nullif(t.typbasetype, 0), t.oid) FROM pg_type t WHERE t.oid = a.atttypid) AS base
    FROM pg_attribute a
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
  LOOP
    all_names := all_names || col.name;
    IF settings->'exclude' ? col.name OR settings->'excludeAttnums' @> to_jsonb(col.attnum) THEN
      exclude_names := exclude_names || col.name; exclude_nums := exclude_nums || col.attnum;
    ELSIF settings->'mask' ? col.name THEN
      mask_names := mask_names || col.name; mask_nums := mask_nums || col.attnum;
    ELSIF redacting AND col.attnum > classified_through AND NOT col.name = ANY (pk) THEN
      -- Not stamped by attribute number: it stays unclassified (above classified_through) under any
      -- name until the configuration is applied, and a key column is never masked.
      mask_names := mask_names || col.name;
      unclassified_names := unclassified_names || col.name;
    ELSIF settings->'maskAttnums' @> to_jsonb(col.attnum) THEN
      mask_names := mask_names || col.name; mask_nums := mask_nums || col.attnum;
    END IF;
    IF settings->'exceptColumns' ? col.name OR settings->'exceptAttnums' @> to_jsonb(col.attnum) THEN
      except_names := except_names || col.name; except_nums := except_nums || col.attnum;
      CONTINUE;
    END IF;
    differs := CASE
      WHEN col.base IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'bool'::regtype, 'uuid'::regtype,
                        'date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype, 'time'::regtype,
                        'oid'::regtype, 'bytea'::regtype, '"char"'::regtype)
        OR (SELECT t.typtype = 'e' FROM pg_type t WHERE t.oid = col.base)
        THEN format('o.%1$I IS DISTINCT FROM n.%1$I', col.name)
      WHEN col.base IN ('text'::regtype, 'varchar'::regtype, 'name'::regtype)
        THEN format('o.%1$I COLLATE "C" IS DISTINCT FROM n.%1$I COLLATE "C"', col.name)
      WHEN col.base = 'numeric'::regtype
        THEN format('(o.%1$I IS DISTINCT FROM n.%1$I OR scale(o.%1$I) IS DISTINCT FROM scale(n.%1$I))', col.name)
      ELSE format('o.%1$I::text COLLATE "C" IS DISTINCT FROM n.%1$I::text COLLATE "C"', col.name)
    END;
    IF col.name = ANY (pk) THEN key_changed := key_changed || differs; END IF;
    IF col.name = ANY (exclude_names) THEN
      hidden_items := hidden_items || differs;
    ELSE
      changed_items := changed_items || format('CASE WHEN %s THEN %L END', differs, col.name);
    END IF;
  END LOOP;
  -- Key columns compare even when change detection ignores them.
  IF cardinality(key_changed) < cardinality(pk) THEN
    key_changed := ARRAY(SELECT format('o.%1$I::text COLLATE "C" IS DISTINCT FROM n.%1$I::text COLLATE "C"', k) FROM unnest(pk) AS k);
  END IF;
  -- A key is never masked, so a column the configuration has not classified yet cannot become one.
  IF redacting AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = target AND a.attname = ANY (pk)
                           AND a.attnum > classified_through AND NOT settings->'mask' ? a.attname::text
                           AND NOT settings->'exclude' ? a.attname::text) THEN
    RAISE EXCEPTION 'threadline: % of %.% joined the primary key after being added since capture was generated from capture.tables; on a table with redaction such a column is masked until the configuration says what it is, and a key is never masked. Regenerate capture from the configuration (gen-triggers, then migrate) before making it part of the key',
      (SELECT string_agg(a.attname, ', ') FROM pg_attribute a WHERE a.attrelid = target AND a.attname = ANY (pk) AND a.attnum > classified_through), rel_schema, rel_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(pk) AS k WHERE k = ANY (exclude_names) OR k = ANY (mask_names)) THEN
    RAISE EXCEPTION 'threadline: primary-key column(s) of %.% cannot be excluded or masked; history is looked up by the key', rel_schema, rel_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE ord = ANY (all_names) LOOP i := i + 1; ord := 'threadline_ord_' || i; END LOOP;
  WHILE img = ANY (all_names) LOOP i := i + 1; img := 'threadline_image_' || i; END LOOP;

  image_new := 'to_jsonb(n.*)';
  image_old := 'to_jsonb(o.*)';
  IF cardinality(exclude_names) > 0 THEN
    image_new := format('(%s - %L::text[])', image_new, exclude_names);
    image_old := format('(%s - %L::text[])', image_old, exclude_names);
  END IF;
  IF cardinality(mask_names) > 0 THEN
    -- One constant object, not jsonb_build_object(...): a function takes at most 100 arguments, and a
    -- table may have more than 50 masked columns.
    image_new := format('(%s || %L::jsonb)', image_new, (SELECT jsonb_object_agg(m, placeholder) FROM unnest(mask_names) AS m));
    image_old := format('(%s || %L::jsonb)', image_old, (SELECT jsonb_object_agg(m, placeholder) FROM unnest(mask_names) AS m));
  END IF;
  pk_new := format('jsonb_build_object(%s)', (SELECT string_agg(format('%L, n.%I', k, k), ', ') FROM unnest(pk) AS k));
  pk_old := format('jsonb_build_object(%s)', (SELECT string_agg(format('%L, o.%I', k, k), ', ') FROM unnest(pk) AS k));
  fixed := format('(SELECT %s()), %L, %L', ':AUDIT_SCHEMA_IN_LITERAL."threadline_transaction_id"', rel_schema, rel_name);
  changed_sql := CASE WHEN cardinality(changed_items) = 0 THEN '''{}''::text[]'
    ELSE format(E'array_remove(ARRAY[\n          %s\n        ]::text[], NULL)', array_to_string(changed_items, E',\n          ')) END;
  hidden_sql := CASE WHEN cardinality(hidden_items) = 0 THEN 'false' ELSE array_to_string(hidden_items, ' OR ') END;

  -- Enabled for ordinary sessions ('O') or always ('A'); 'R' fires only under the replica role.
  ddl_trigger := EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'threadline_ddl:AUDIT_SUFFIX' AND evtenabled IN ('O', 'A'));
  IF NOT ddl_trigger THEN
    -- No event trigger regenerates this function on DDL. While the columns of the table a write fires on
    -- (attribute number, type and name, in order) are those it was generated for, the body above applies;
    -- after any change it captures through the fallback (threadline_capture_fallback_sql), which reads the
    -- columns as they are now and masks every one it cannot classify: writes go on, nothing lands in clear.
    -- Both are keyed by relation id, not name: partitions renamed into each other's names must not trade
    -- classifications. A table restored into another cluster (new ids) falls back until regenerated,
    -- and coverage says so. The layout query is written out (not a function call) so PL/pgSQL caches its plan.
    SELECT jsonb_build_object('relations', jsonb_object_agg(r.relid::text, jsonb_build_object('rn', r.name, 'cols', r.columns))),
           jsonb_object_agg(r.relid::text, r.layout)
    INTO fallback, layouts
    FROM (
      SELECT rc.oid AS relid, quote_ident(rn.nspname) || '.' || quote_ident(rc.relname) AS name,
        (SELECT string_agg(a.attnum || ':' || a.atttypid || ':' || quote_ident(a.attname), ',' ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = rc.oid AND a.attnum > 0 AND NOT a.attisdropped) AS layout,
        (SELECT jsonb_object_agg(a.attnum::text, jsonb_build_object('n', a.attname,
           'c', CASE WHEN a.attname = ANY (exclude_names) THEN 'exclude' WHEN a.attname = ANY (mask_names) THEN 'mask' ELSE 'clear' END,
           'x', a.attname = ANY (except_names)))
         FROM pg_attribute a WHERE a.attrelid = rc.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
      FROM (SELECT target AS relid UNION ALL SELECT t.relid FROM pg_partition_tree(target) AS t WHERE t.relid <> target) AS tree
      JOIN pg_class rc ON rc.oid = tree.relid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    ) AS r;
    fallback := fallback || jsonb_build_object('schema', rel_schema, 'table', rel_name, 'redacting', redacting,
      'exclude', coalesce(settings->'exclude', '[]'), 'mask', coalesce(settings->'mask', '[]'),
      'exceptColumns', coalesce(settings->'exceptColumns', '[]'), 'maskPlaceholder', placeholder,
      'storeChangedFrom', store_from, 'recordNoopUpdates', record_noop);
    guard := format($g$
  IF TG_OP <> 'TRUNCATE' AND (SELECT string_agg(a.attnum || ':' || a.atttypid || ':' || quote_ident(a.attname), ',' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped)
      IS DISTINCT FROM (%2$L::jsonb ->> TG_RELID::text) THEN
    EXECUTE :AUDIT_SCHEMA_IN_LITERAL."threadline_capture_fallback_sql"(TG_RELID, TG_OP, %1$L::jsonb);
    RETURN NULL;
  END IF;$g$, fallback, layouts);
  END IF;

  -- Old and new images of an UPDATE are paired by their position in the
  -- transition tables, which PostgreSQL fills in step. When the counts
  -- differ (a cross-partition UPDATE whose destination trigger dropped the
  -- row) positions no longer line up: the statement fails rather than
  -- recording invented key changes. One row each (most OLTP updates) is
  -- its own pair: no numbering, no join (v5 stamps; about 40 us of a
  -- 600 us OLTP transaction here). The function's settings (jit, nestloop
  -- and mergejoin off) keep a plan cached for a few rows from pairing
  -- 100,000 rows with a nested loop later in the session.
  -- What an UPDATE stores is written once, for both ways of pairing: they differ only in where the
  -- new image (and the old one, with storeChangedFrom) comes from and what they select from.
  update_head := format($u$INSERT INTO :AUDIT_SCHEMA_IN_FORMAT."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, previous_pk, data_after, changed_fields, changed_from)
    SELECT %s, 'update', x.pk, x.previous_pk, x.image, x.changed, %s
    FROM ($u$,
    fixed,
    CASE WHEN store_from THEN '(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(x.old_image) AS e WHERE e.key = ANY (x.changed))' ELSE 'NULL' END);
  update_tail := format(E'\n      OFFSET 0\n    ) AS x\n    WHERE %s;',
    CASE WHEN record_noop THEN 'true' ELSE 'cardinality(x.changed) > 0 OR x.hidden_change' END);
  pair_columns := E'\n      SELECT %s AS pk,\n        CASE WHEN %s THEN %s END AS previous_pk,\n        %s AS image,%s\n        %s AS changed,\n        %s AS hidden_change';
  one_row := format(pair_columns, pk_new, array_to_string(key_changed, ' OR '), pk_old,
    image_new, CASE WHEN store_from THEN format(E'\n        %s AS old_image,', image_old) ELSE '' END,
    changed_sql, hidden_sql);
  numbered := format(pair_columns, pk_new, array_to_string(key_changed, ' OR '), pk_old,
    format('n.%I', img), CASE WHEN store_from THEN format(E'\n        o.%I AS old_image,', img) ELSE '' END,
    changed_sql, hidden_sql);

--# Part 2, the trigger function's body, built from what part 1 read: format()'s %s and %I are filled in order
--# by the arguments after $b$ (guard, fixed, pk_new, image_new, ...), so %% is a literal %.
  body := format($b$
DECLARE
  threadline_rows bigint;
  threadline_new_rows bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT (SELECT count(*) FROM threadline_old), (SELECT count(*) FROM threadline_new) INTO threadline_rows, threadline_new_rows;
    IF threadline_rows <> threadline_new_rows THEN
      RAISE EXCEPTION 'threadline: an UPDATE of %% changed %% rows but produced %% new rows (a row was moved to a partition whose trigger skipped it); old and new images cannot be paired, so the statement is refused',
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, threadline_rows, threadline_new_rows
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END IF;%s
  IF TG_OP = 'INSERT' THEN
    INSERT INTO :AUDIT_SCHEMA_IN_FORMAT."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, data_after)
    SELECT %s, 'insert', %s, %s
    FROM threadline_new AS n;
  ELSIF TG_OP = 'UPDATE' AND threadline_rows = 1 THEN
    %s%s
      FROM threadline_old AS o, threadline_new AS n%s
  ELSIF TG_OP = 'UPDATE' THEN
    %s%s
      FROM (SELECT row_number() OVER () AS %I%s, o.* FROM threadline_old AS o) AS o
      JOIN (SELECT row_number() OVER () AS %I, %s AS %I, n.* FROM threadline_new AS n) AS n
        ON n.%I = o.%I%s
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO :AUDIT_SCHEMA_IN_FORMAT."audit_changes" (transaction_id, table_schema, table_name, op, table_pk)
    SELECT %s, 'delete', %s
    FROM threadline_old AS o;
  ELSIF TG_OP = 'TRUNCATE' THEN
    -- BEFORE TRUNCATE, so the rows are still there to count. A partitioned table holds no rows
    -- itself: TRUNCATE fires its partitions' triggers too, and each records what it held and,
    -- being a partition, which one it is and its bounds then (only rows within them are gone).
    IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) <> 'p' THEN
      EXECUTE format('SELECT count(*) FROM ONLY %%s', TG_RELID::regclass) INTO threadline_rows;
      INSERT INTO :AUDIT_SCHEMA_IN_FORMAT."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT %s, 'truncate', '{}'::jsonb, jsonb_build_object('rowCount', threadline_rows)
        || CASE WHEN (SELECT c.relispartition FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID)
                THEN jsonb_build_object('partition', quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME),
                                        'bounds', pg_catalog.pg_get_partition_constraintdef(TG_RELID)) ELSE '{}'::jsonb END;
    END IF;
  END IF;
  RETURN NULL;
END
$b$,
    guard,
    fixed, pk_new, image_new,
    update_head, one_row, update_tail,
    update_head, numbered,
    ord, CASE WHEN store_from THEN format(', %s AS %I', image_old, img) ELSE '' END,
    ord, image_new, img,
    ord, ord, update_tail,
    fixed, pk_old,
    fixed);

--# Part 3, the stamp and the triggers of the table and its partitions, returned with the function.
  i := 0;
  WHILE position(tag IN body) > 0 LOOP i := i + 1; tag := '$threadline' || i || '$'; END LOOP;
  stamp := jsonb_build_object(
    'version', 5,
    'table', rel_schema || '.' || rel_name,
    'auditSchema', ':AUDIT_SCHEMA_NAME_IN_LITERAL',
    'exclude', coalesce(settings->'exclude', '[]'),
    'mask', coalesce(settings->'mask', '[]'),
    'exceptColumns', coalesce(settings->'exceptColumns', '[]'),
    'excludeAttnums', to_jsonb(exclude_nums),
    'maskAttnums', to_jsonb(mask_nums),
    'exceptAttnums', to_jsonb(except_nums),
    'excludedColumns', to_jsonb(exclude_names),
    'maskedColumns', to_jsonb(mask_names),
    'exceptedColumns', to_jsonb(except_names),
    'classifiedThrough', classified_through,
    'unclassifiedColumns', to_jsonb(unclassified_names),
    'maskPlaceholder', placeholder,
    'storeChangedFrom', store_from,
    'recordNoopUpdates', record_noop,
    'captureInReplicaRole', in_replica,
    'columnSignature', :AUDIT_SCHEMA_IN_LITERAL."threadline_column_signature"(target),
    'columnLayout', :AUDIT_SCHEMA_IN_LITERAL."threadline_column_layout"(target),
    'guarded', NOT ddl_trigger,
    'relid', target::oid,
    'bodySha256', encode(sha256(convert_to(body, 'UTF8')), 'hex'));

  -- The table and every partition below it, so a write that names a
  -- partition directly is captured too (statement triggers fire only on the
  -- table a statement names). Partitions record the captured table's name.
  FOR part IN SELECT target UNION ALL SELECT t.relid FROM pg_partition_tree(target) AS t WHERE t.relid <> target LOOP
    FOR trig IN
      SELECT * FROM (VALUES
        (function_name, 'AFTER INSERT', 'REFERENCING NEW TABLE AS threadline_new'),
        (function_name || '_update', 'AFTER UPDATE', 'REFERENCING OLD TABLE AS threadline_old NEW TABLE AS threadline_new'),
        (function_name || '_delete', 'AFTER DELETE', 'REFERENCING OLD TABLE AS threadline_old'),
        (function_name || '_trunc', 'BEFORE TRUNCATE', '')) AS v(name, event, referencing)
    LOOP
      -- A regeneration after DDL or an upgrade leaves existing triggers as they are (a disabled one stays
      -- disabled, for coverage to report) and adds the ones missing.
      CONTINUE WHEN (settings->>'keepExistingTriggers')::boolean
        AND EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = part AND tg.tgname = trig.name);
      triggers := triggers || format(E'
DROP TRIGGER IF EXISTS %2$I ON %1$s;
CREATE TRIGGER %2$I %3$s ON %1$s %4$s FOR EACH STATEMENT EXECUTE FUNCTION %5$s();',
        part, trig.name, trig.event, trig.referencing, fn);
      -- Fire under session_replication_role = replica too, unless the configuration says otherwise.
      IF in_replica THEN
        triggers := triggers || format(E'
ALTER TABLE %1$s ENABLE ALWAYS TRIGGER %2$I;', part, trig.name);
      END IF;
    END LOOP;
  END LOOP;
  -- A partition detached since: its triggers would record its writes under this table's name.
  FOR part IN
    SELECT DISTINCT tg.tgrelid::regclass FROM pg_trigger tg
    WHERE tg.tgfoid = to_regprocedure(fn || '()') AND tg.tgrelid <> target
      AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(target) AS t)
  LOOP
    triggers := triggers || format(E'
DROP TRIGGER IF EXISTS %2$I ON %1$s;
DROP TRIGGER IF EXISTS %3$I ON %1$s;
DROP TRIGGER IF EXISTS %4$I ON %1$s;
DROP TRIGGER IF EXISTS %5$I ON %1$s;',
      part, function_name, function_name || '_update', function_name || '_delete', function_name || '_trunc');
  END LOOP;

  -- SECURITY DEFINER: capture writes the audit tables with the rights of the
  -- function's owner (the role that ran the migration), so the roles that
  -- write audited tables need no right on the audit tables. The search_path
  -- is pinned (every name the body uses is qualified or in pg_catalog), and
  -- no one but the owner may attach the function to a table of their own: EXECUTE is taken back from PUBLIC and
  -- from every role ALTER DEFAULT PRIVILEGES granted it to (firing a trigger needs none).
  RETURN format(E'CREATE OR REPLACE FUNCTION %s() RETURNS trigger\nLANGUAGE plpgsql\nSECURITY DEFINER\nSET search_path = pg_catalog, pg_temp\nSET jit = off\nSET enable_nestloop = off\nSET enable_mergejoin = off\nAS %s%s%s;\nCOMMENT ON FUNCTION %s() IS %L;\nREVOKE ALL ON FUNCTION %s() FROM PUBLIC;\nSELECT :AUDIT_SCHEMA_IN_FORMAT_LITERAL."threadline_revoke_function_grants"(%L::pg_catalog.regprocedure);%s\n',
    fn, tag, body, tag, fn, 'threadline:' || stamp::text, fn, fn || '()', triggers);
END
$generator$;

import { ident, qualified } from '@threadline/core';

/** Deploys (or redeploys) capture on a table: `threadline_capture(table regclass, function_name text, settings jsonb)`. */
export const CAPTURE_FUNCTION = 'threadline_capture';
/** Capture requested for tables that do not exist yet (deployed by the DDL event trigger when they are created). */
export const PENDING_TABLE = 'audit_capture_pending';
/** Removes capture from a table and its partitions. */
export const UNCAPTURE_FUNCTION = 'threadline_uncapture';
/** Builds, without running it, the SQL that `threadline_capture` runs. */
export const CAPTURE_SQL_FUNCTION = 'threadline_capture_sql';
/** Regenerates a table's capture from the stamp of its deployed function (what the DDL event trigger calls). */
export const REFRESH_FUNCTION = 'threadline_refresh_capture';
/** The columns of a table as capture sees them: `name:type` sorted by name, comma-separated, then `;pk=` and the key columns. */
export const SIGNATURE_FUNCTION = 'threadline_column_signature';
const DDL_FUNCTION = 'threadline_on_ddl';

/**
 * The name of the DDL event trigger of one audit schema. Event trigger names
 * are global to a database, so a second audit schema gets its own.
 */
export function ddlEventTriggerName(auditSchema: string): string {
  return auditSchema === 'public'
    ? 'threadline_ddl'
    : `threadline_ddl_${Buffer.from(auditSchema).toString('hex').slice(0, 40)}`;
}

/**
 * Capture functions live in the database so that PostgreSQL itself can
 * regenerate a table's trigger function the moment the table changes. Why
 * (see README "Schema changes"): the generated function names the table's
 * columns, which is what makes it fast, so any ADD / DROP / RENAME COLUMN or
 * ALTER COLUMN TYPE must regenerate it in the same transaction as the DDL.
 *
 * - `threadline_capture_sql(table, function_name, settings)` reads the live
 *   catalog and builds the trigger function, its stamp and the triggers on
 *   the table and on every partition below it.
 * - Redaction is stamped by attribute number as well as by name, and a
 *   column is redacted when either matches: a renamed masked column stays
 *   masked, and a new column that takes a redacted name is redacted too.
 * - Change detection compares stored representations: plain `=` only for
 *   types whose equality implies identical text (integers, uuid, times, ...),
 *   byte-wise "C" comparison for text, scale as well as value for numeric,
 *   and the text form for every other type (citext, json, jsonb, arrays,
 *   floats, custom types).
 * - Without the DDL event trigger (it needs a superuser), each function
 *   checks the table's column signature on every call and refuses to capture
 *   a table that changed since it was generated: a clear error instead of a
 *   wrong or unredacted audit row.
 */
export function captureFunctionsSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  const changes = s('audit_changes');
  const txFn = s('threadline_transaction_id');
  const eventTrigger = ident(ddlEventTriggerName(auditSchema));
  return `
CREATE OR REPLACE FUNCTION ${s(SIGNATURE_FUNCTION)}(target oid) RETURNS text
LANGUAGE sql STABLE
AS $threadline$
  SELECT coalesce(string_agg(a.attname || ':' || a.atttypid::text, ',' ORDER BY a.attname), '')
    || ';pk=' || coalesce((
      SELECT string_agg(k.attname, ',' ORDER BY u.pos)
      FROM pg_catalog.pg_index x
      CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS u(attnum, pos)
      JOIN pg_catalog.pg_attribute k ON k.attrelid = x.indrelid AND k.attnum = u.attnum
      WHERE x.indrelid = target AND x.indisprimary), '')
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
$threadline$;

CREATE OR REPLACE FUNCTION ${s(CAPTURE_SQL_FUNCTION)}(target regclass, function_name text, settings jsonb)
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
  guard text := '';
  body text;
  tag text := '$threadline$';
  stamp jsonb;
  ddl_trigger boolean;
  triggers text := '';
  part regclass;
  i int := 0;
BEGIN
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
    ELSIF settings->'mask' ? col.name OR settings->'maskAttnums' @> to_jsonb(col.attnum) THEN
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
    image_new := format('(%s || jsonb_build_object(%s))', image_new,
      (SELECT string_agg(format('%L, %L::text', m, placeholder), ', ') FROM unnest(mask_names) AS m));
    image_old := format('(%s || jsonb_build_object(%s))', image_old,
      (SELECT string_agg(format('%L, %L::text', m, placeholder), ', ') FROM unnest(mask_names) AS m));
  END IF;
  pk_new := format('jsonb_build_object(%s)', (SELECT string_agg(format('%L, n.%I', k, k), ', ') FROM unnest(pk) AS k));
  pk_old := format('jsonb_build_object(%s)', (SELECT string_agg(format('%L, o.%I', k, k), ', ') FROM unnest(pk) AS k));
  fixed := format('(SELECT %s()), %L, %L', '${txFn.replace(/'/g, "''")}', rel_schema, rel_name);

  ddl_trigger := EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${ddlEventTriggerName(auditSchema)}' AND evtenabled <> 'D');
  IF NOT ddl_trigger THEN
    -- No event trigger regenerates this function on DDL: refuse a table whose columns changed since.
    -- The catalog query is written out (not a call of the signature function) so PL/pgSQL caches its plan;
    -- it checks the columns, and drift detection the primary key.
    guard := format($g$
  IF (SELECT string_agg(a.attname || ':' || a.atttypid::text, ',' ORDER BY a.attname) FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped) IS DISTINCT FROM %L THEN
    RAISE EXCEPTION 'threadline: the columns of %% changed since its capture function was generated; the change was not recorded. Regenerate capture (npm run cli -- gen-triggers, then run your migrations) or install the DDL event trigger (README "Schema changes")', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;$g$, split_part(${s(SIGNATURE_FUNCTION).replace(/'/g, "''")}(target), ';pk=', 1));
  END IF;

  -- Old and new images of an UPDATE are paired by their position in the
  -- transition tables, which PostgreSQL fills in step. When the counts
  -- differ (a cross-partition UPDATE whose destination trigger dropped the
  -- row) positions no longer line up: the statement fails rather than
  -- recording invented key changes. The function's settings (jit, nestloop
  -- and mergejoin off) keep a plan cached for one row from pairing 100,000
  -- rows with a nested loop later in the session.
  body := format($b$
BEGIN%s
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${changes.replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, data_after)
    SELECT %s, 'insert', %s, %s
    FROM threadline_new AS n;
  ELSIF TG_OP = 'UPDATE' THEN
    IF (SELECT count(*) FROM threadline_old) <> (SELECT count(*) FROM threadline_new) THEN
      RAISE EXCEPTION 'threadline: an UPDATE of %% changed %% rows but produced %% new rows (a row was moved to a partition whose trigger skipped it); old and new images cannot be paired, so the statement is refused',
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, (SELECT count(*) FROM threadline_old), (SELECT count(*) FROM threadline_new)
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO ${changes.replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, previous_pk, data_after, changed_fields, changed_from)
    SELECT %s, 'update', x.pk, x.previous_pk, x.image, x.changed, %s
    FROM (
      SELECT %s AS pk,
        CASE WHEN %s THEN %s END AS previous_pk,
        n.%I AS image,%s
        %s AS changed,
        %s AS hidden_change
      FROM (SELECT row_number() OVER () AS %I%s, o.* FROM threadline_old AS o) AS o
      JOIN (SELECT row_number() OVER () AS %I, %s AS %I, n.* FROM threadline_new AS n) AS n
        ON n.%I = o.%I
      OFFSET 0
    ) AS x
    WHERE %s;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${changes.replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk)
    SELECT %s, 'delete', %s
    FROM threadline_old AS o;
  END IF;
  RETURN NULL;
END
$b$,
    guard,
    fixed, pk_new, image_new,
    fixed,
    CASE WHEN store_from THEN '(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(x.old_image) AS e WHERE e.key = ANY (x.changed))' ELSE 'NULL' END,
    pk_new,
    array_to_string(key_changed, ' OR '), pk_old,
    img, CASE WHEN store_from THEN format(E'\\n        o.%I AS old_image,', img) ELSE '' END,
    CASE WHEN cardinality(changed_items) = 0 THEN '''{}''::text[]'
         ELSE format(E'array_remove(ARRAY[\\n          %s\\n        ]::text[], NULL)', array_to_string(changed_items, E',\\n          ')) END,
    CASE WHEN cardinality(hidden_items) = 0 THEN 'false' ELSE array_to_string(hidden_items, ' OR ') END,
    ord, CASE WHEN store_from THEN format(', %s AS %I', image_old, img) ELSE '' END,
    ord, image_new, img,
    ord, ord,
    CASE WHEN record_noop THEN 'true' ELSE 'cardinality(x.changed) > 0 OR x.hidden_change' END,
    fixed, pk_old);

  i := 0;
  WHILE position(tag IN body) > 0 LOOP i := i + 1; tag := '$threadline' || i || '$'; END LOOP;
  stamp := jsonb_build_object(
    'version', 2,
    'table', rel_schema || '.' || rel_name,
    'auditSchema', '${auditSchema.replace(/'/g, "''")}',
    'exclude', coalesce(settings->'exclude', '[]'),
    'mask', coalesce(settings->'mask', '[]'),
    'exceptColumns', coalesce(settings->'exceptColumns', '[]'),
    'excludeAttnums', to_jsonb(exclude_nums),
    'maskAttnums', to_jsonb(mask_nums),
    'exceptAttnums', to_jsonb(except_nums),
    'excludedColumns', to_jsonb(exclude_names),
    'maskedColumns', to_jsonb(mask_names),
    'exceptedColumns', to_jsonb(except_names),
    'maskPlaceholder', placeholder,
    'storeChangedFrom', store_from,
    'recordNoopUpdates', record_noop,
    'captureInReplicaRole', in_replica,
    'columnSignature', ${s(SIGNATURE_FUNCTION).replace(/'/g, "''")}(target),
    'guarded', NOT ddl_trigger,
    'bodySha256', encode(sha256(convert_to(body, 'UTF8')), 'hex'));

  -- The table and every partition below it, so a write that names a
  -- partition directly is captured too (statement triggers fire only on the
  -- table a statement names). Partitions record the captured table's name.
  FOR part IN SELECT target UNION ALL SELECT t.relid FROM pg_partition_tree(target) AS t WHERE t.relid <> target LOOP
    -- A regeneration after DDL leaves existing triggers as they are (a disabled one stays disabled, for coverage to report).
    CONTINUE WHEN (settings->>'keepExistingTriggers')::boolean
      AND EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = part AND tg.tgname = function_name);
    triggers := triggers || format($t$
DROP TRIGGER IF EXISTS %2$I ON %1$s;
CREATE TRIGGER %2$I AFTER INSERT ON %1$s REFERENCING NEW TABLE AS threadline_new FOR EACH STATEMENT EXECUTE FUNCTION %5$s();
DROP TRIGGER IF EXISTS %3$I ON %1$s;
CREATE TRIGGER %3$I AFTER UPDATE ON %1$s REFERENCING OLD TABLE AS threadline_old NEW TABLE AS threadline_new FOR EACH STATEMENT EXECUTE FUNCTION %5$s();
DROP TRIGGER IF EXISTS %4$I ON %1$s;
CREATE TRIGGER %4$I AFTER DELETE ON %1$s REFERENCING OLD TABLE AS threadline_old FOR EACH STATEMENT EXECUTE FUNCTION %5$s();$t$,
      part, function_name, function_name || '_update', function_name || '_delete', fn);
    -- Fire under session_replication_role = replica too, unless the configuration says otherwise.
    IF in_replica THEN
      triggers := triggers || format(E'\nALTER TABLE %1$s ENABLE ALWAYS TRIGGER %2$I, ENABLE ALWAYS TRIGGER %3$I, ENABLE ALWAYS TRIGGER %4$I;',
        part, function_name, function_name || '_update', function_name || '_delete');
    END IF;
  END LOOP;
  -- A partition detached since: its triggers would record its writes under this table's name.
  FOR part IN
    SELECT DISTINCT tg.tgrelid::regclass FROM pg_trigger tg
    WHERE tg.tgfoid = to_regprocedure(fn || '()') AND tg.tgrelid <> target
      AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(target) AS t)
  LOOP
    triggers := triggers || format(E'\nDROP TRIGGER IF EXISTS %2$I ON %1$s;\nDROP TRIGGER IF EXISTS %3$I ON %1$s;\nDROP TRIGGER IF EXISTS %4$I ON %1$s;',
      part, function_name, function_name || '_update', function_name || '_delete');
  END LOOP;

  RETURN format(E'CREATE OR REPLACE FUNCTION %s() RETURNS trigger\\nLANGUAGE plpgsql\\nSET jit = off\\nSET enable_nestloop = off\\nSET enable_mergejoin = off\\nAS %s%s%s;\\nCOMMENT ON FUNCTION %s() IS %L;%s\\n',
    fn, tag, body, tag, fn, 'threadline:' || stamp::text, triggers);
END
$generator$;

CREATE OR REPLACE FUNCTION ${s(CAPTURE_FUNCTION)}(target regclass, function_name text, settings jsonb)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
BEGIN
  EXECUTE ${s(CAPTURE_SQL_FUNCTION)}(target, function_name, settings);
END
$threadline$;

-- Capture asked for before its table exists (a migration that runs before
-- TypeORM's synchronize, or migrations in another order): kept here and
-- deployed by the DDL event trigger when the table is created.
CREATE TABLE IF NOT EXISTS ${s(PENDING_TABLE)} (
  table_schema text NOT NULL,
  table_name text NOT NULL,
  function_name text NOT NULL,
  settings jsonb NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_schema, table_name)
);

CREATE OR REPLACE FUNCTION ${s(CAPTURE_FUNCTION)}(table_schema text, table_name text, function_name text, settings jsonb)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
DECLARE
  target regclass := to_regclass(format('%I.%I', table_schema, table_name));
BEGIN
  DELETE FROM ${s(PENDING_TABLE)} p WHERE p.table_schema = $1 AND p.table_name = $2;
  IF target IS NOT NULL THEN
    PERFORM ${s(CAPTURE_FUNCTION)}(target, function_name, settings);
  ELSE
    INSERT INTO ${s(PENDING_TABLE)} (table_schema, table_name, function_name, settings) VALUES ($1, $2, $3, $4);
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${ddlEventTriggerName(auditSchema)}' AND evtenabled <> 'D') THEN
      RAISE WARNING 'threadline: table %.% does not exist yet and no DDL event trigger can capture it when it is created; run gen-triggers again once it exists', $1, $2;
    ELSE
      RAISE NOTICE 'threadline: table %.% does not exist yet; capture is deployed when it is created', $1, $2;
    END IF;
  END IF;
END
$threadline$;

CREATE OR REPLACE FUNCTION ${s(UNCAPTURE_FUNCTION)}(table_schema text, table_name text, function_name text)
RETURNS void
LANGUAGE plpgsql
AS $threadline$
BEGIN
  DELETE FROM ${s(PENDING_TABLE)} p WHERE p.table_schema = $1 AND p.table_name = $2;
  PERFORM ${s(UNCAPTURE_FUNCTION)}(to_regclass(format('%I.%I', $1, $2)), function_name);
END
$threadline$;

CREATE OR REPLACE FUNCTION ${s(UNCAPTURE_FUNCTION)}(target regclass, function_name text)
RETURNS void
LANGUAGE plpgsql
STRICT
SET search_path = pg_catalog
AS $threadline$
DECLARE
  part regclass;
  rel_schema text;
BEGIN
  SELECT n.nspname INTO rel_schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
  FOR part IN SELECT target UNION ALL SELECT t.relid FROM pg_partition_tree(target) AS t WHERE t.relid <> target LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name, part);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_update', part);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_delete', part);
  END LOOP;
  EXECUTE format('DROP FUNCTION IF EXISTS %I.%I()', rel_schema, function_name);
END
$threadline$;

-- Regenerates capture of a table (or of the captured table a partition
-- belongs to) from the stamp of its deployed function: the same settings,
-- the table's columns as they are now.
CREATE OR REPLACE FUNCTION ${s(REFRESH_FUNCTION)}(target oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
  stamp jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = target AND relkind IN ('r', 'p')) THEN RETURN; END IF;
  -- A table whose capture was asked for before it existed.
  FOR captured IN
    SELECT p.table_schema, p.table_name, p.function_name, p.settings
    FROM ${s(PENDING_TABLE)} p JOIN pg_class c ON c.relname = p.table_name JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.table_schema
    WHERE c.oid = target
  LOOP
    PERFORM ${s(CAPTURE_FUNCTION)}(captured.table_schema, captured.table_name, captured.function_name, captured.settings);
    RETURN;
  END LOOP;
  FOR captured IN
    SELECT rel.relid, p.proname::text AS function_name, d.description, pn.nspname || '.' || pc.relname AS name
    FROM (SELECT target AS relid, 0 AS depth
          UNION ALL
          SELECT a.relid::oid, a.depth FROM (SELECT relid, row_number() OVER () AS depth FROM pg_partition_ancestors(target)) AS a
          WHERE a.relid <> target) AS rel
    JOIN pg_trigger tg ON tg.tgrelid = rel.relid AND NOT tg.tgisinternal
    JOIN pg_proc p ON p.oid = tg.tgfoid AND p.proname = tg.tgname
    JOIN pg_class pc ON pc.oid = rel.relid
    JOIN pg_namespace pn ON pn.oid = pc.relnamespace AND pn.oid = p.pronamespace
    JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
    WHERE d.description LIKE 'threadline:{%'
    ORDER BY rel.depth DESC
  LOOP
    BEGIN
      stamp := substr(captured.description, length('threadline:') + 1)::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      CONTINUE; -- a stamp edited by hand: health reports the function as changed outside Threadline
    END;
    IF stamp->>'table' = captured.name AND coalesce(stamp->>'auditSchema', '${auditSchema.replace(/'/g, "''")}') = '${auditSchema.replace(/'/g, "''")}' THEN
      -- Only when the columns changed or a partition lacks capture: an ALTER TABLE that disables a
      -- trigger must stay visible to coverage, not be undone here.
      IF stamp->>'columnSignature' IS DISTINCT FROM ${s(SIGNATURE_FUNCTION)}(captured.relid)
         OR EXISTS (SELECT 1 FROM pg_partition_tree(captured.relid) AS t
                    WHERE t.relid <> captured.relid
                      AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = t.relid AND tg.tgname = captured.function_name))
         OR EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                    WHERE p.proname = captured.function_name AND p.pronamespace = (SELECT relnamespace FROM pg_class WHERE oid = captured.relid)
                      AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(captured.relid) AS t)
                      AND tg.tgrelid <> captured.relid) THEN
        PERFORM ${s(CAPTURE_FUNCTION)}(captured.relid::regclass, captured.function_name, stamp || '{"keepExistingTriggers": true}');
      END IF;
      RETURN;
    END IF;
  END LOOP;
END
$threadline$;

CREATE OR REPLACE FUNCTION ${s(DDL_FUNCTION)}() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  rel oid;
BEGIN
  FOR rel IN
    SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() AS c
    WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'table column')
  LOOP
    PERFORM ${s(REFRESH_FUNCTION)}(rel);
  END LOOP;
END
$threadline$;

-- The event trigger needs a superuser (or the cloud equivalent); without
-- it, capture functions guard themselves (see threadline_capture_sql).
DO $threadline$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${ddlEventTriggerName(auditSchema)}') THEN
    CREATE EVENT TRIGGER ${eventTrigger} ON ddl_command_end
      WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE')
      EXECUTE FUNCTION ${s(DDL_FUNCTION)}();
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'threadline: cannot create the DDL event trigger (it needs a superuser); capture functions will refuse writes to a table whose columns changed until gen-triggers is run again. See README "Schema changes".';
END
$threadline$;
`;
}

/** Drops what captureFunctionsSql creates. */
export function dropCaptureFunctionsSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  return `DROP EVENT TRIGGER IF EXISTS ${ident(ddlEventTriggerName(auditSchema))};
DROP FUNCTION IF EXISTS ${s(DDL_FUNCTION)}();
DROP FUNCTION IF EXISTS ${s(REFRESH_FUNCTION)}(oid);
DROP FUNCTION IF EXISTS ${s(UNCAPTURE_FUNCTION)}(regclass, text);
DROP FUNCTION IF EXISTS ${s(UNCAPTURE_FUNCTION)}(text, text, text);
DROP FUNCTION IF EXISTS ${s(CAPTURE_FUNCTION)}(text, text, text, jsonb);
DROP TABLE IF EXISTS ${s(PENDING_TABLE)};
DROP FUNCTION IF EXISTS ${s(CAPTURE_FUNCTION)}(regclass, text, jsonb);
DROP FUNCTION IF EXISTS ${s(CAPTURE_SQL_FUNCTION)}(regclass, text, jsonb);
DROP FUNCTION IF EXISTS ${s(SIGNATURE_FUNCTION)}(oid);
`;
}

import { cachedTransactionSql, ident, qualified, transactionCacheMatchesSql } from '@threadline/core';
import { ACTOR_SETTING } from './audit-schema.sql';
import { captureSqlFunctionSql, generatorNames } from './capture-generator.sql';

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
/** The columns of a table in attribute order: `attnum:type:quoted name`, comma-separated (an exact, unambiguous layout). */
export const LAYOUT_FUNCTION = 'threadline_column_layout';
/** Builds the SQL a self-guarding capture function runs once the table's columns changed under it. */
export const FALLBACK_SQL_FUNCTION = 'threadline_capture_fallback_sql';
/** The captured tables whose capture a table's DDL concerns: itself and its ancestors, each with its stamp. */
const CAPTURES_FUNCTION = 'threadline_captures_of';
const DDL_FUNCTION = 'threadline_on_ddl';
/** Follows columns dropped by another command's CASCADE (DROP TYPE, DROP DOMAIN, DROP FUNCTION ...). */
const DROP_FUNCTION = 'threadline_on_drop';
/**
 * Every command tag that can change a table's columns: ALTER VIEW, ALTER MATERIALIZED VIEW and ALTER
 * FOREIGN TABLE ... RENAME COLUMN act on a table too, and ALTER TYPE ... CASCADE on the tables of a type.
 */
const DDL_TAGS = [
  'ALTER TABLE',
  'CREATE TABLE',
  'ALTER TYPE',
  'ALTER VIEW',
  'ALTER MATERIALIZED VIEW',
  'ALTER FOREIGN TABLE',
];
/** Notes a table that DDL rewrites column by column (`table_rewrite` event), for threadline_on_ddl to snapshot. */
const REWRITE_FUNCTION = 'threadline_on_rewrite';
/** Records every row of a captured table (or partition) as a `snapshot` change after DDL rewrote its values. */
export const REWRITE_SNAPSHOT_FUNCTION = 'threadline_snapshot_rewritten';
/** The transaction-local setting through which the `table_rewrite` event hands tables to `ddl_command_end`. */
const REWRITTEN_SETTING = 'threadline.rewritten_tables';
/** The actor of a schema change's snapshots when the session that ran the DDL names none. */
export const SCHEMA_CHANGE_ACTOR = '{"type":"system","id":"threadline:schema-change"}';

/**
 * One column's entry in a layout (LAYOUT_FUNCTION, and the guard a capture
 * function carries without the DDL event trigger): attribute number, type
 * and name, the name quoted so that no name can pass for another layout.
 */
export function columnLayoutEntry(a: string): string {
  return `${a}.attnum || ':' || ${a}.atttypid || ':' || quote_ident(${a}.attname)`;
}

/**
 * Whether a table's columns or key changed since the function whose stamp is
 * in \`stamp\` was generated: by the name-and-type signature (with the key)
 * and, when the stamp has it, the exact layout (attribute numbers too).
 */
function columnsChangedSql(s: (name: string) => string, rel: string): string {
  return `(stamp->>'columnSignature' IS DISTINCT FROM ${s(SIGNATURE_FUNCTION)}(${rel})
          OR (stamp ? 'columnLayout' AND stamp->>'columnLayout' IS DISTINCT FROM ${s(LAYOUT_FUNCTION)}(${rel})))`;
}

/**
 * The name of the DDL event trigger of one audit schema. Event trigger names
 * are global to a database, so a second audit schema gets its own.
 */
export function ddlEventTriggerName(auditSchema: string, event: 'ddl' | 'rewrite' | 'drop' = 'ddl'): string {
  const base = `threadline_${event}`;
  return auditSchema === 'public' ? base : `${base}_${Buffer.from(auditSchema).toString('hex').slice(0, 40)}`;
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
 *   checks the table's column layout on every call; once it changed, the
 *   function captures through a fallback that reads the columns as they are
 *   and masks every one it cannot classify: writes never fail because of a
 *   schema change, and nothing lands in clear.
 */
export function captureFunctionsSql(auditSchema: string): string {
  const names = generatorNames(auditSchema);
  const { s } = names;
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

CREATE OR REPLACE FUNCTION ${s(LAYOUT_FUNCTION)}(target oid) RETURNS text
LANGUAGE sql STABLE
AS $threadline$
  SELECT string_agg(${columnLayoutEntry('a')}, ',' ORDER BY a.attnum)
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
$threadline$;

${fallbackSqlFunctionSql(names)}
${captureSqlFunctionSql(names)}
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
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${ddlEventTriggerName(auditSchema)}' AND evtenabled IN ('O', 'A')) THEN
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
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', function_name || '_trunc', part);
  END LOOP;
  EXECUTE format('DROP FUNCTION IF EXISTS %I.%I()', rel_schema, function_name);
END
$threadline$;

-- Each capture a table's DDL concerns: the table's own and its ancestors' (a
-- partition shares the columns of every table above it), outermost first,
-- with the stamp of its deployed function. A stamp edited by hand into
-- something that is not JSON is skipped: coverage reports the function.
CREATE OR REPLACE FUNCTION ${s(CAPTURES_FUNCTION)}(target oid)
RETURNS TABLE (relid oid, function_name text, schema_name text, table_name text, stamp jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
BEGIN
  FOR captured IN
    SELECT rel.relid, p.proname::text AS function_name, pn.nspname::text AS schema_name, pc.relname::text AS table_name, d.description
    FROM (SELECT target AS relid, 0 AS depth
          UNION ALL
          SELECT a.relid::oid, a.depth FROM (SELECT pa.relid, row_number() OVER () AS depth FROM pg_partition_ancestors(target) AS pa) AS a
          WHERE a.relid <> target) AS rel
    JOIN pg_trigger tg ON tg.tgrelid = rel.relid AND NOT tg.tgisinternal
    JOIN pg_proc p ON p.oid = tg.tgfoid AND p.proname = tg.tgname
    JOIN pg_class pc ON pc.oid = rel.relid
    JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
    WHERE d.description LIKE 'threadline:{%'
    ORDER BY rel.depth DESC
  LOOP
    BEGIN
      stamp := substr(captured.description, length('threadline:') + 1)::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      CONTINUE;
    END;
    CONTINUE WHEN coalesce(stamp->>'auditSchema', '${auditSchema.replace(/'/g, "''")}') <> '${auditSchema.replace(/'/g, "''")}';
    relid := captured.relid;
    function_name := captured.function_name;
    schema_name := captured.schema_name;
    table_name := captured.table_name;
    RETURN NEXT;
  END LOOP;
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
  FOR captured IN SELECT c.relid, c.function_name, c.schema_name || '.' || c.table_name AS name, c.stamp
                  FROM ${s(CAPTURES_FUNCTION)}(target) AS c LOOP
    stamp := captured.stamp;
    IF stamp->>'table' = captured.name THEN
      -- Only when the columns changed or a partition lacks capture: an ALTER TABLE that disables a
      -- trigger must stay visible to coverage, not be undone here.
      IF ${columnsChangedSql(s, 'captured.relid')}
         OR EXISTS (SELECT 1 FROM pg_partition_tree(captured.relid) AS t
                    WHERE t.relid <> captured.relid
                      AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = t.relid AND tg.tgname = captured.function_name))
         OR EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                    WHERE p.proname = captured.function_name AND p.pronamespace = (SELECT relnamespace FROM pg_class WHERE oid = captured.relid)
                      AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(captured.relid) AS t)
                      AND tg.tgrelid <> captured.relid) THEN
        PERFORM ${s(CAPTURE_FUNCTION)}(captured.relid::regclass, captured.function_name, stamp || '{"keepExistingTriggers": true}');
      END IF;
      -- no RETURN: a partition may be captured on its own as well as through its parent, and both follow
    ELSIF NOT EXISTS (SELECT 1 FROM pg_partition_ancestors(target) AS a JOIN pg_class ac ON ac.oid = a.relid
                      JOIN pg_namespace an ON an.oid = ac.relnamespace WHERE an.nspname || '.' || ac.relname = stamp->>'table')
      AND ${columnsChangedSql(s, 'captured.relid')} THEN
      -- Capture generated for a name the table no longer has (RENAME TO, SET SCHEMA): regenerating it here
      -- would record under another name, and not regenerating it would capture new columns unredacted.
      RAISE EXCEPTION 'threadline: % was captured as % (renamed since); its capture cannot follow a change of its columns until it is regenerated for the new name (gen-triggers, then migrate)',
        captured.name, stamp->>'table'
        USING ERRCODE = 'object_not_in_prerequisite_state';
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
  rewritten text;
BEGIN
  -- Each table the DDL names, and every table below it (partitions and inheritance children share
  -- its columns, and one of them may be captured on its own).
  FOR rel IN
    WITH RECURSIVE named AS (
      SELECT DISTINCT c.objid AS relid FROM pg_event_trigger_ddl_commands() AS c
      WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'table column')
      UNION
      -- ALTER TYPE ... CASCADE: the tables typed by the composite type (CREATE TABLE ... OF type)
      SELECT t.oid FROM pg_event_trigger_ddl_commands() AS c
      JOIN pg_type ty ON ty.typrelid = c.objid
      JOIN pg_class t ON t.reloftype = ty.oid
      WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('composite type', 'composite type column')
    ), below AS (
      SELECT relid FROM named
      UNION
      SELECT i.inhrelid FROM pg_inherits AS i JOIN below AS b ON i.inhparent = b.relid
    )
    SELECT relid FROM below
  LOOP
    PERFORM ${s(REFRESH_FUNCTION)}(rel);
  END LOOP;
  -- Tables this statement rewrote column by column (ALTER COLUMN ... TYPE, USING): their values
  -- changed without a write, so every row is recorded as it is now, after capture was regenerated.
  rewritten := nullif(current_setting('${REWRITTEN_SETTING}', true), '');
  IF rewritten IS NOT NULL THEN
    PERFORM set_config('${REWRITTEN_SETTING}', '', true);
    FOR rel IN SELECT DISTINCT r::oid FROM unnest(string_to_array(rtrim(rewritten, ','), ',')) AS r LOOP
      PERFORM ${s(REWRITE_SNAPSHOT_FUNCTION)}(rel);
    END LOOP;
  END IF;
END
$threadline$;

-- A column dropped by another object's CASCADE (DROP TYPE, DROP DOMAIN, DROP FUNCTION of a generated
-- column, DROP EXTENSION) is reported only here: regenerate capture of its table and every table below it.
CREATE OR REPLACE FUNCTION ${s(DROP_FUNCTION)}() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  rel oid;
BEGIN
  FOR rel IN
    WITH RECURSIVE named AS (
      SELECT DISTINCT d.objid AS relid FROM pg_event_trigger_dropped_objects() AS d
      WHERE d.classid = 'pg_class'::regclass AND d.object_type = 'table column'
    ), below AS (
      SELECT relid FROM named
      UNION
      SELECT i.inhrelid FROM pg_inherits AS i JOIN below AS b ON i.inhparent = b.relid
    )
    SELECT relid FROM below
  LOOP
    PERFORM ${s(REFRESH_FUNCTION)}(rel);
  END LOOP;
END
$threadline$;

CREATE OR REPLACE FUNCTION ${s(REWRITE_FUNCTION)}() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
BEGIN
  -- 4: a column's values are rewritten (a type change, or USING); 2: values a default or a generation
  -- expression computes anew (ADD COLUMN with a volatile default, ALTER COLUMN ... SET EXPRESSION);
  -- not a persistence or access method change (1, 8), which keep every value.
  IF pg_event_trigger_table_rewrite_reason() & 6 <> 0 THEN
    PERFORM set_config('${REWRITTEN_SETTING}',
      coalesce(current_setting('${REWRITTEN_SETTING}', true), '') || pg_event_trigger_table_rewrite_oid()::text || ',', true);
  END IF;
END
$threadline$;

CREATE OR REPLACE FUNCTION ${s(REWRITE_SNAPSHOT_FUNCTION)}(target oid)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $threadline$
DECLARE
  captured record;
  stamp jsonb;
  tx uuid;
  pk text;
  masked jsonb;
  n bigint;
  total bigint := 0;
BEGIN
  -- Every capture the rows belong to: the table's own and each ancestor's that is stamped for its current
  -- name (a partition captured on its own and through its parent records under both names).
  FOR captured IN SELECT c.relid, c.schema_name, c.table_name, c.stamp FROM ${s(CAPTURES_FUNCTION)}(target) AS c
                  WHERE c.stamp->>'table' = c.schema_name || '.' || c.table_name LOOP
    stamp := captured.stamp;
    SELECT string_agg(format('%L, t.%I', a.attname, a.attname), ', ' ORDER BY k.pos) INTO pk
    FROM pg_index x
    CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE x.indrelid = captured.relid AND x.indisprimary;
    SELECT coalesce(jsonb_object_agg(m, stamp->>'maskPlaceholder'), '{}') INTO masked
    FROM jsonb_array_elements_text(coalesce(stamp->'maskedColumns', stamp->'mask', '[]')) AS m;
    -- The migration's own actor, or the schema change's when the session names none and the transaction
    -- has no audit row yet (one that has keeps the actor it was created with).
    IF coalesce(current_setting('${ACTOR_SETTING}', true), '') = ''
       AND NOT coalesce(${transactionCacheMatchesSql(cachedTransactionSql(auditSchema), 'txid_current()')}, false) THEN
      PERFORM set_config('${ACTOR_SETTING}', '${SCHEMA_CHANGE_ACTOR}', true);
    END IF;
    tx := ${names.txFn}();
    EXECUTE format('INSERT INTO ${s('audit_changes').replace(/'/g, "''")} (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT $1, $2, $3, %L, jsonb_build_object(%s), (to_jsonb(t.*) - $4::text[]) || $5 FROM ONLY %s AS t', 'snapshot', pk, target::regclass)
      USING tx, captured.schema_name, captured.table_name,
        ARRAY(SELECT jsonb_array_elements_text(coalesce(stamp->'excludedColumns', stamp->'exclude', '[]'))), masked;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE ${s('audit_transactions')} AS t
    SET meta = coalesce(t.meta, '{}'::jsonb) || jsonb_build_object('schemaRewrite',
      coalesce(t.meta->'schemaRewrite', '[]'::jsonb) || jsonb_build_array(jsonb_build_object('table', stamp->>'table', 'rows', n)))
    WHERE t.id = tx;
    total := total + n;
  END LOOP;
  RETURN total;
END
$threadline$;

-- The event trigger needs a superuser (or the cloud equivalent); without
-- it, capture functions guard themselves (see threadline_capture_sql).
DO $threadline$
DECLARE
  was "char";
BEGIN
${eventTriggerSql(ddlEventTriggerName(auditSchema), 'ddl_command_end', DDL_TAGS, s(DDL_FUNCTION))}
${eventTriggerSql(ddlEventTriggerName(auditSchema, 'rewrite'), 'table_rewrite', ['ALTER TABLE', 'ALTER TYPE'], s(REWRITE_FUNCTION))}
${eventTriggerSql(ddlEventTriggerName(auditSchema, 'drop'), 'sql_drop', null, s(DROP_FUNCTION))}
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'threadline: cannot create the DDL event trigger (it needs a superuser); after a change of a table''s columns its capture keeps recording but masks every column it cannot classify, until gen-triggers is run again. See README "Schema changes".';
END
$threadline$;
`;
}

/**
 * \`threadline_capture_fallback_sql(rel, op, info)\`: the INSERT, UPDATE or
 * DELETE capture of a table whose columns changed since its self-guarding
 * function was generated (no DDL event trigger followed the change). It
 * reads the columns as they are now and classifies each by what it was at
 * generation (\`info.relations\`: attribute number, name, class): an
 * excluded or masked column stays so under any name; a clear column stays
 * clear only under its name; any other column is masked on a table with
 * redaction (fail closed) until capture is regenerated from the
 * configuration. Images are built from \`to_jsonb\` of each row and changes
 * found by comparing stored text, so the statement never names a column that
 * may be gone. The caller EXECUTEs the text inside the trigger function,
 * where the transition tables are visible.
 */
function fallbackSqlFunctionSql({ s, changes, txFn }: ReturnType<typeof generatorNames>): string {
  return `CREATE OR REPLACE FUNCTION ${s(FALLBACK_SQL_FUNCTION)}(rel oid, op text, info jsonb)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $threadline$
DECLARE
  generated jsonb;
  col record;
  entry jsonb;
  class text;
  excluded text[] := '{}';
  masked text[] := '{}';
  compared text[] := '{}';
  pk text[];
  placeholder jsonb := to_jsonb(coalesce(info->>'maskPlaceholder', '[REDACTED]'));
  mask_object jsonb;
  fixed text;
  key_new text;
  key_old text;
  image_new text;
  image_old text;
BEGIN
  -- What each column was at generation, for this very relation: its id and its name then and now must
  -- match (a partition renamed since, or a table restored under new ids, has none: all fail closed).
  SELECT e.entry->'cols' INTO generated
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT info->'relations'->(rel::text) AS entry) AS e
  WHERE c.oid = rel AND e.entry->>'rn' = quote_ident(n.nspname) || '.' || quote_ident(c.relname);
  SELECT array_agg(a.attname::text ORDER BY k.pos) INTO pk
  FROM pg_index x
  CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
  WHERE x.indrelid = rel AND x.indisprimary;
  FOR col IN
    SELECT a.attnum::text AS num, a.attname::text AS name FROM pg_attribute a
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
  LOOP
    entry := generated->col.num;
    class := CASE
      WHEN entry->>'c' = 'exclude' OR info->'exclude' ? col.name THEN 'exclude'
      WHEN entry->>'c' = 'mask' OR info->'mask' ? col.name THEN 'mask'
      WHEN entry->>'c' = 'clear' AND entry->>'n' = col.name THEN 'clear'
      -- a key column is left in clear unless it was redacted (history is looked up by it), as capture does
      WHEN col.name = ANY (pk) THEN 'clear'
      WHEN coalesce((info->>'redacting')::boolean, true) THEN 'mask'
      ELSE 'clear'
    END;
    IF class = 'exclude' THEN
      excluded := excluded || col.name;
      CONTINUE;
    END IF;
    IF class = 'mask' THEN masked := masked || col.name; END IF;
    IF NOT (coalesce((entry->>'x')::boolean, false) OR info->'exceptColumns' ? col.name) THEN
      compared := compared || col.name;
    END IF;
  END LOOP;
  SELECT coalesce(jsonb_object_agg(m, placeholder), '{}') INTO mask_object FROM unnest(masked) AS m;
  fixed := format('(SELECT %s()), %L, %L', '${txFn.replace(/'/g, "''")}', info->>'schema', info->>'table');
  pk := coalesce(pk, '{}');
  -- The key of the new and the old image (a masked or excluded key column keeps its name, never its value),
  -- and the images.
  SELECT format('jsonb_build_object(%s)', coalesce(string_agg(format('%L, %s', k, CASE WHEN k = ANY (masked || excluded) THEN format('%L::jsonb', placeholder) ELSE format('n.j -> %L', k) END), ', ' ORDER BY i), '')),
         format('jsonb_build_object(%s)', coalesce(string_agg(format('%L, %s', k, CASE WHEN k = ANY (masked || excluded) THEN format('%L::jsonb', placeholder) ELSE format('o.j -> %L', k) END), ', ' ORDER BY i), ''))
  INTO key_new, key_old
  FROM unnest(coalesce(pk, '{}')) WITH ORDINALITY AS u(k, i);
  image_new := format('((n.j - %L::text[]) || %L::jsonb)', excluded, mask_object);
  image_old := format('((o.j - %L::text[]) || %L::jsonb)', excluded, mask_object);
  IF op = 'INSERT' THEN
    RETURN format('INSERT INTO ${changes.replace(/'/g, "''").replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT %s, ''insert'', %s, %s FROM (SELECT to_jsonb(n.*) AS j FROM threadline_new AS n) AS n', fixed, key_new, image_new);
  ELSIF op = 'DELETE' THEN
    RETURN format('INSERT INTO ${changes.replace(/'/g, "''").replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk)
      SELECT %s, ''delete'', %s FROM (SELECT to_jsonb(o.*) AS j FROM threadline_old AS o) AS o', fixed, key_old);
  ELSIF op = 'UPDATE' THEN
    RETURN format('INSERT INTO ${changes.replace(/'/g, "''").replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, previous_pk, data_after, changed_fields, changed_from)
      SELECT %s, ''update'', x.pk, CASE WHEN x.pk::text IS DISTINCT FROM x.previous_pk::text THEN x.previous_pk END, x.image, x.changed, %s
      FROM (
        SELECT %s AS pk, %s AS previous_pk, %s AS image, %s AS old_image,
          ARRAY(SELECT u.c FROM unnest(%L::text[]) WITH ORDINALITY AS u(c, i)
                WHERE (o.t -> u.c)::text IS DISTINCT FROM (n.t -> u.c)::text ORDER BY u.i) AS changed,
          EXISTS (SELECT 1 FROM unnest(%L::text[]) AS u(c) WHERE (o.t -> u.c)::text IS DISTINCT FROM (n.t -> u.c)::text) AS hidden_change
        FROM (SELECT row_number() OVER () AS ord, to_jsonb(o.*) AS j, to_json(o.*) AS t FROM threadline_old AS o) AS o
        JOIN (SELECT row_number() OVER () AS ord, to_jsonb(n.*) AS j, to_json(n.*) AS t FROM threadline_new AS n) AS n ON n.ord = o.ord
        OFFSET 0
      ) AS x
      WHERE %s',
      fixed,
      CASE WHEN coalesce((info->>'storeChangedFrom')::boolean, false)
        THEN '(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(x.old_image) AS e WHERE e.key = ANY (x.changed))' ELSE 'NULL' END,
      key_new, key_old, image_new, image_old, compared, excluded,
      CASE WHEN coalesce((info->>'recordNoopUpdates')::boolean, false) THEN 'true' ELSE 'cardinality(x.changed) > 0 OR x.hidden_change' END);
  END IF;
  RETURN NULL;
END
$threadline$;
REVOKE ALL ON FUNCTION ${s(FALLBACK_SQL_FUNCTION)}(oid, text, jsonb) FROM PUBLIC;
`;
}

/**
 * Creates an event trigger, or recreates one an older install made for
 * fewer command tags (ALTER TYPE ... CASCADE changes typed tables' columns),
 * keeping whether it was enabled. A new one fires always, also under
 * session_replication_role = replica: DDL run there would otherwise leave
 * capture generated for columns the table no longer has. One an operator
 * disabled stays disabled.
 */
function eventTriggerSql(name: string, event: string, tags: string[] | null, fn: string): string {
  const tagList = tags?.map((t) => `'${t}'`).join(', ');
  return `  was := ${tags ? `(SELECT evtenabled FROM pg_event_trigger WHERE evtname = '${name}' AND NOT evttags @> ARRAY[${tagList}])` : 'NULL'};
  IF was IS NOT NULL THEN
    DROP EVENT TRIGGER ${ident(name)};
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${name}') THEN
    CREATE EVENT TRIGGER ${ident(name)} ON ${event}${tags ? ` WHEN TAG IN (${tagList})` : ''} EXECUTE FUNCTION ${fn}();
    IF was = 'D' THEN
      ALTER EVENT TRIGGER ${ident(name)} DISABLE;
    ELSIF was = 'R' THEN
      ALTER EVENT TRIGGER ${ident(name)} ENABLE REPLICA;
    ELSE
      ALTER EVENT TRIGGER ${ident(name)} ENABLE ALWAYS;
    END IF;
  END IF;`;
}

/** Drops what captureFunctionsSql creates. */
export function dropCaptureFunctionsSql(auditSchema: string): string {
  const s = (name: string) => qualified(auditSchema, name);
  return `DROP EVENT TRIGGER IF EXISTS ${ident(ddlEventTriggerName(auditSchema))};
DROP EVENT TRIGGER IF EXISTS ${ident(ddlEventTriggerName(auditSchema, 'rewrite'))};
DROP EVENT TRIGGER IF EXISTS ${ident(ddlEventTriggerName(auditSchema, 'drop'))};
DROP FUNCTION IF EXISTS ${s(DDL_FUNCTION)}();
DROP FUNCTION IF EXISTS ${s(DROP_FUNCTION)}();
DROP FUNCTION IF EXISTS ${s(REWRITE_FUNCTION)}();
DROP FUNCTION IF EXISTS ${s(REWRITE_SNAPSHOT_FUNCTION)}(oid);
DROP FUNCTION IF EXISTS ${s(REFRESH_FUNCTION)}(oid);
DROP FUNCTION IF EXISTS ${s(UNCAPTURE_FUNCTION)}(regclass, text);
DROP FUNCTION IF EXISTS ${s(UNCAPTURE_FUNCTION)}(text, text, text);
DROP FUNCTION IF EXISTS ${s(CAPTURE_FUNCTION)}(text, text, text, jsonb);
DROP TABLE IF EXISTS ${s(PENDING_TABLE)};
DROP FUNCTION IF EXISTS ${s(CAPTURE_FUNCTION)}(regclass, text, jsonb);
DROP FUNCTION IF EXISTS ${s(CAPTURE_SQL_FUNCTION)}(regclass, text, jsonb);
DROP FUNCTION IF EXISTS ${s(SIGNATURE_FUNCTION)}(oid);
DROP FUNCTION IF EXISTS ${s(LAYOUT_FUNCTION)}(oid);
DROP FUNCTION IF EXISTS ${s(FALLBACK_SQL_FUNCTION)}(oid, text, jsonb);
DROP FUNCTION IF EXISTS ${s(CAPTURES_FUNCTION)}(oid);
`;
}

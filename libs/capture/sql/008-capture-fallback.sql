--# 008: threadline_capture_fallback_sql(rel, op, info): the INSERT, UPDATE or DELETE capture of a
--# table whose columns changed since its self-guarding function was generated (no DDL event trigger
--# followed the change). It reads the columns as they are now and classifies each by what it was at
--# generation (info.relations: attribute number, name, class): an excluded or masked column stays so
--# under any name; a clear column stays clear only under its name; any other column is masked on a
--# table with redaction (fail closed) until capture is regenerated from the configuration. Images are
--# built from to_jsonb of each row and changes found by comparing stored text, so the statement never
--# names a column that may be gone. The caller EXECUTEs the text inside the trigger function, where the
--# transition tables are visible.
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_capture_fallback_sql"(rel oid, op text, info jsonb)
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
  fixed := format('(SELECT %s()), %L, %L', ':AUDIT_SCHEMA_IN_LITERAL."threadline_transaction_id"', info->>'schema', info->>'table');
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
    RETURN format('INSERT INTO :AUDIT_SCHEMA_IN_FORMAT_LITERAL."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, data_after)
      SELECT %s, ''insert'', %s, %s FROM (SELECT to_jsonb(n.*) AS j FROM threadline_new AS n) AS n', fixed, key_new, image_new);
  ELSIF op = 'DELETE' THEN
    RETURN format('INSERT INTO :AUDIT_SCHEMA_IN_FORMAT_LITERAL."audit_changes" (transaction_id, table_schema, table_name, op, table_pk)
      SELECT %s, ''delete'', %s FROM (SELECT to_jsonb(o.*) AS j FROM threadline_old AS o) AS o', fixed, key_old);
  ELSIF op = 'UPDATE' THEN
    RETURN format('INSERT INTO :AUDIT_SCHEMA_IN_FORMAT_LITERAL."audit_changes" (transaction_id, table_schema, table_name, op, table_pk, previous_pk, data_after, changed_fields, changed_from)
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
REVOKE ALL ON FUNCTION :AUDIT_SCHEMA."threadline_capture_fallback_sql"(oid, text, jsonb) FROM PUBLIC;

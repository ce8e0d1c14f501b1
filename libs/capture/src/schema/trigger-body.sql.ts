import type { GeneratorNames } from './capture-generator.sql';

/** The trigger function's body, built by threadline_capture_sql from the columns it read. */
export function triggerBodySql({ changes }: GeneratorNames): string {
  return `  -- Old and new images of an UPDATE are paired by their position in the
  -- transition tables, which PostgreSQL fills in step. When the counts
  -- differ (a cross-partition UPDATE whose destination trigger dropped the
  -- row) positions no longer line up: the statement fails rather than
  -- recording invented key changes. The function's settings (jit, nestloop
  -- and mergejoin off) keep a plan cached for one row from pairing 100,000
  -- rows with a nested loop later in the session.
  body := format($b$
DECLARE
  threadline_rows bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF (SELECT count(*) FROM threadline_old) <> (SELECT count(*) FROM threadline_new) THEN
      RAISE EXCEPTION 'threadline: an UPDATE of %% changed %% rows but produced %% new rows (a row was moved to a partition whose trigger skipped it); old and new images cannot be paired, so the statement is refused',
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, (SELECT count(*) FROM threadline_old), (SELECT count(*) FROM threadline_new)
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END IF;%s
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${changes.replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, data_after)
    SELECT %s, 'insert', %s, %s
    FROM threadline_new AS n;
  ELSIF TG_OP = 'UPDATE' THEN
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
  ELSIF TG_OP = 'TRUNCATE' THEN
    -- BEFORE TRUNCATE, so the rows are still there to count. A partitioned table holds no rows
    -- itself: TRUNCATE fires its partitions' triggers too, and each records what it held and,
    -- being a partition, which one it is and its bounds then (only rows within them are gone).
    IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID) <> 'p' THEN
      EXECUTE format('SELECT count(*) FROM ONLY %%s', TG_RELID::regclass) INTO threadline_rows;
      INSERT INTO ${changes.replace(/%/g, '%%')} (transaction_id, table_schema, table_name, op, table_pk, data_after)
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
    fixed, pk_old,
    fixed);

`;
}

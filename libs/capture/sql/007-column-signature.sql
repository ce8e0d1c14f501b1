--# 007: the columns of a table as capture sees them. Capture functions live in the database so that
--# PostgreSQL itself can regenerate a table's trigger function the moment the table changes (README
--# "Schema changes"): the generated function names the table's columns, which is what makes it fast,
--# so any ADD / DROP / RENAME COLUMN or ALTER COLUMN TYPE must regenerate it in the same transaction
--# as the DDL. 007 to 013 are that machinery.
--# - threadline_column_signature(oid): name:type sorted by name, then ;pk= and the key columns.
--# - threadline_column_layout(oid): attnum:type:quoted name in attribute order, an exact layout (the
--#   same entry as columnLayoutEntry('a') in capture-functions.sql.ts, also written out in 009).
CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_column_signature"(target oid) RETURNS text
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

CREATE OR REPLACE FUNCTION :AUDIT_SCHEMA."threadline_column_layout"(target oid) RETURNS text
LANGUAGE sql STABLE
AS $threadline$
  SELECT string_agg(a.attnum || ':' || a.atttypid || ':' || quote_ident(a.attname), ',' ORDER BY a.attnum)
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
$threadline$;

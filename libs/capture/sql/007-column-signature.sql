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

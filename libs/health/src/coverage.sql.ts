/**
 * Every user table of the audited schemas ($1) but the audit tables ($2, $3), the ranges retention detached there
 * and the tables of a partitioning upgrade (their tables carry one of the comments $5), with its Threadline triggers ($4).
 */
export const COVERAGE_SQL = `
SELECT n.nspname AS schema, c.relname AS table,
  coalesce(array_agg(t.tgname::text) FILTER (WHERE t.tgname IS NOT NULL), '{}') AS triggers,
  coalesce(bool_and(t.tgenabled = 'A') FILTER (WHERE t.tgname IS NOT NULL), false) AS fires_in_replica
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgname LIKE $4
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname = ANY ($1::text[])
  AND NOT (n.nspname = $2 AND (c.relname = ANY ($3::text[]) OR coalesce(obj_description(c.oid, 'pg_class') = ANY ($5::text[]), false)))
GROUP BY n.nspname, c.relname
ORDER BY n.nspname, c.relname`;

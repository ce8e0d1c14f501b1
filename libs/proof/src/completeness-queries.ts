import { ident, literal, qualified, SqlParams, textArray } from '@threadline/core';
import { DataSource } from 'typeorm';

type Key = { name: string; type: string }[];

/**
 * The SQL of one table's completeness check: the batches that walk its rows by primary key (each with the
 * latest change naming its key) and the anti-join for keys the history says exist. What recorded TRUNCATEs
 * excuse is read once, by `prepare`.
 */
export class CompletenessQueries {
  private constructor(
    private readonly v: {
      table: string;
      ofTable: string;
      keyJson: string;
      keyTuple: string;
      primaryKey: Key;
      compared: string[];
      redacted: string[];
      changes: string;
      truncated: string;
      goneByTruncate: string;
      excusedByTruncate: string;
    },
  ) {}

  static async prepare(
    dataSource: DataSource,
    changes: string,
    name: { schema: string; table: string },
    primaryKey: Key,
    compared: string[],
    redacted: string[],
  ): Promise<CompletenessQueries> {
    const table = qualified(name.schema, name.table);
    const ofTable = `c.table_schema = ${literal(name.schema)} AND c.table_name = ${literal(name.table)}`;
    const keyJson = `jsonb_build_object(${primaryKey.map((k) => `${literal(k.name)}, t.${ident(k.name)}`).join(', ')})`;
    const keyTuple = primaryKey.map((k) => `t.${ident(k.name)}`).join(', ');
    // TRUNCATEs recorded: on a plain table one empties the table, so older images describe rows that
    // are gone. A partitioned table records one per partition it emptied, with the partition's bounds
    // then (schema v6): only rows within them are gone. Recorded bounds are used only as the text of a
    // partition's bounds now (never run as stored: the SQL comes from the catalog); bounds no partition
    // has any more excuse nothing, so those rows are reported. A truncate recorded before v6, with no
    // bounds, only bounds which rows are expected to exist.
    const [{ partitioned }] = await dataSource.query(
      `SELECT (SELECT k.relkind = 'p' FROM pg_catalog.pg_class AS k WHERE k.oid = ${literal(table)}::regclass) AS partitioned`,
    );
    const truncates: { id: string; bounds: string | null }[] = await dataSource.query(
      `SELECT c.id::text AS id, c.data_after->>'bounds' AS bounds FROM ${changes} AS c
       WHERE ${ofTable} AND c.op = 'truncate' ORDER BY c.id`,
    );
    const current = new Set<string>(
      partitioned
        ? (
            await dataSource.query(
              `SELECT pg_catalog.pg_get_partition_constraintdef(p.relid) AS bounds
               FROM pg_catalog.pg_partition_tree(${literal(table)}::regclass) AS p WHERE p.isleaf`,
            )
          )
            .map((row: { bounds: string | null }) => row.bounds)
            .filter((bounds: string | null): bounds is string => bounds !== null)
        : [],
    );
    const within = (bounds: string, key: string) =>
      `EXISTS (SELECT 1 FROM jsonb_populate_record(NULL::${table}, ${key}) AS r WHERE ${bounds})`;
    // the latest truncate of each set of bounds is the one that counts (truncates come in id order)
    const latestByBounds = new Map<string, string>();
    let truncated = '0';
    for (const x of truncates) {
      if (!partitioned || x.bounds === null) truncated = x.id;
      else if (current.has(x.bounds)) latestByBounds.set(x.bounds, x.id);
    }
    const known = [...latestByBounds].map(([bounds, id]) => ({ id, bounds }));
    const goneByTruncate = !partitioned
      ? `l.id < ${literal(truncated)}::bigint`
      : known.length
        ? `(${known.map((x) => `(l.id < ${literal(x.id)}::bigint AND ${within(x.bounds, keyJson)})`).join(' OR ')})`
        : 'false';
    // a key gone with a recorded TRUNCATE of a partition whose bounds then held it
    const excusedByTruncate = known
      .map((x) => ` AND NOT (l.id < ${literal(x.id)}::bigint AND ${within(x.bounds, 'l.key')})`)
      .join('');
    return new CompletenessQueries({
      table,
      ofTable,
      keyJson,
      keyTuple,
      primaryKey,
      compared,
      redacted,
      changes,
      truncated,
      goneByTruncate,
      excusedByTruncate,
    });
  }

  /** One batch: the next `batchSize` rows after the `last` key (as text, or null: the first batch), columns in `asStored` compared as stored. */
  batch(last: unknown[] | null, asStored: ReadonlySet<string>, batchSize: number): { sql: string; values: unknown[] } {
    const p = SqlParams.bound();
    const { table, ofTable, keyJson, keyTuple, primaryKey, compared, redacted, changes, goneByTruncate } = this.v;
    // The last key of a batch travels as text and is cast back to each column's type: exact for every type.
    const after = last && `(${keyTuple}) > (${primaryKey.map((k, i) => `${p.add(last[i])}::${k.type}`).join(', ')})`;
    // A column differs when its stored text differs and, read back into the column's type (so an
    // instant written under another TimeZone compares equal), still differs. Columns in `asStored`
    // skip the read-back: images from before an ALTER COLUMN ... TYPE may not read back at all.
    const differing = (asStored: ReadonlySet<string>) =>
      compared.length
        ? `array_remove(ARRAY[${compared
            .map((c) => {
              const now = `to_jsonb(t.${ident(c)})::text`;
              const readBack = `to_jsonb((jsonb_populate_record(NULL::${table}, jsonb_build_object(${literal(c)}, l.image->${literal(c)}))).${ident(c)})::text`;
              return `CASE WHEN l.image ? ${literal(c)} AND (l.image->${literal(c)})::text IS DISTINCT FROM ${now}${asStored.has(c) ? '' : ` AND ${readBack} IS DISTINCT FROM ${now}`} THEN ${literal(c)} END`;
            })
            .join(', ')}]::text[], NULL)`
        : `'{}'::text[]`;
    // One batch: the next rows by key, each with the latest change that names its key (as the row's
    // key, or as the key it moved away from).
    const sql = `SELECT ${keyJson} AS key, ${primaryKey.map((k, i) => `t.${ident(k.name)}::text AS k${i}`).join(', ')},
         CASE WHEN l.op IS NULL THEN NULL WHEN l.op IN ('delete', 'moved') OR ${goneByTruncate} THEN 'gone' ELSE 'present' END AS state,
         CASE WHEN l.op NOT IN ('delete', 'moved') THEN ${differing(asStored)} END AS differing
       FROM ${table} AS t
       LEFT JOIN LATERAL (
         SELECT c.id, CASE WHEN c.table_pk = ${keyJson} THEN c.op::text ELSE 'moved' END AS op, c.data_after - ${textArray(redacted)} AS image
         FROM ${changes} AS c
         WHERE ${ofTable} AND (c.table_pk = ${keyJson} OR c.previous_pk = ${keyJson})
         ORDER BY c.id DESC LIMIT 1
       ) AS l ON true
       ${after ? `WHERE ${after}` : ''}
       ORDER BY ${keyTuple}
       LIMIT ${batchSize}`;
    return { sql, values: p.values };
  }

  /** Keys whose history ends with the row present (after the last TRUNCATE) that the table no longer holds: the count and the first `listLimit`. */
  missing(listLimit: number): string {
    const { table, ofTable, keyJson, changes, truncated, excusedByTruncate } = this.v;
    // compared as captured keys, in one anti-join
    return `WITH events AS (
         SELECT c.table_pk AS key, c.id, c.op::text AS op FROM ${changes} AS c
         WHERE ${ofTable} AND c.op <> 'truncate' AND c.id > ${literal(truncated)}::bigint
         UNION ALL
         SELECT c.previous_pk, c.id, 'moved' FROM ${changes} AS c
         WHERE ${ofTable} AND c.previous_pk IS NOT NULL AND c.id > ${literal(truncated)}::bigint
       ), latest AS (
         SELECT DISTINCT ON (e.key) e.key, e.op, e.id FROM events AS e ORDER BY e.key, e.id DESC
       ), missing AS (
         SELECT l.key FROM latest AS l
         WHERE l.op NOT IN ('delete', 'moved') AND NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE ${keyJson} = l.key)${excusedByTruncate}
       )
       SELECT (SELECT count(*) FROM missing)::int AS count,
              (SELECT coalesce(jsonb_agg(m.key), '[]') FROM (SELECT key FROM missing ORDER BY key LIMIT ${listLimit}) AS m) AS keys`;
  }
}

// The large logs the scale benchmarks read (scale-bench.js, partition-upgrade-bench.js): generated with set-based
// SQL, not the trigger, 10 changes a transaction spread evenly over MONTHS months ending now, TABLES tables whose
// rows have about 8 changes each.
const { auditQueryIndexesSql, auditSchemaSql } = require('@threadline/capture');

const TABLES = 20;
const MONTHS = 24;

/** `n` changes over MONTHS months ending now, ids in time order as capture makes them; then the query indexes. */
async function generate(client, n, partitioned) {
  // a fresh audit schema per size: no seal or ledger row of the smaller run carries over
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  for (let t = 0; t < TABLES; t++) await client.query(`CREATE TABLE t${t} (id int PRIMARY KEY)`);
  const partitioning = partitioned ? { interval: 'month', ahead: 3 } : null;
  await client.query(auditSchemaSql('public', { queryIndexes: false, partitioning }).up);
  // the partitions of the months the data spans, as maintenance over those months would have made them
  for (let m = MONTHS + 1; partitioned && m >= 1; m--)
    await client.query(`SELECT threadline_partitions_maintain_at(now() - ${m} * interval '1 month')`);
  const rowsPerTable = Math.max(1, Math.floor(n / TABLES / 8)); // about 8 changes per row
  const span = `${MONTHS} * interval '1 month'`;
  await client.query(`INSERT INTO audit_transactions (id, txid, occurred_at, actor_ref, correlation_id)
    SELECT md5(g::text)::uuid, g, now() - ${span} + (g - 1) * (${span} / ${n / 10}),
           jsonb_build_object('type', 'user', 'id', (g % 1000)::text), CASE WHEN g % 100 = 0 THEN 'corr-' || g END
    FROM generate_series(1, ${n / 10}) g`);
  await client.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, changed_fields, captured_at, transaction_occurred_at)
    SELECT md5((1 + (g - 1) / 10)::text)::uuid, 'public', 't' || (g % ${TABLES}),
           CASE WHEN g / ${TABLES} < ${rowsPerTable} THEN 'insert' ELSE 'update' END,
           jsonb_build_object('id', (g / ${TABLES}) % ${rowsPerTable}),
           jsonb_build_object('id', (g / ${TABLES}) % ${rowsPerTable}, 'name', 'row ' || g, 'score', g % 97),
           CASE WHEN g / ${TABLES} < ${rowsPerTable} THEN NULL ELSE '{name,score}'::text[] END,
           now() - ${span} + ((1 + (g - 1) / 10) - 1) * (${span} / ${n / 10}),
           now() - ${span} + ((1 + (g - 1) / 10) - 1) * (${span} / ${n / 10})
    FROM generate_series(1, ${n}) g`);
  await client.query(auditQueryIndexesSql('public'));
  await client.query('VACUUM ANALYZE audit_changes');
  await client.query('VACUUM ANALYZE audit_transactions');
  await client.query('CHECKPOINT');
  return rowsPerTable;
}

module.exports = { generate, MONTHS, TABLES };

#!/usr/bin/env node
// Audit storage at scale (`npm run bench`, issue 28): the query latencies a user meets on a large log,
// generated with set-based SQL (not the trigger) at each size of BENCH_SCALE_CHANGES (default 1M and
// 10M changes: the slope between them is printed), 10 changes a transaction, spread evenly over 24 months,
// 20 tables whose rows have about 8 changes each. Per size: one record's history and as-of (the row at
// mid-span), the timeline by table, actor and correlation (the first page), p50 and p95 over 100 runs after
// 10 of warm-up; an export of one month (rows/s); storage per change and each index's size; and
// the retention purge of the oldest months through the real RetentionService. Lines:
// `scale_history`, `scale_asof`, `scale_timeline` (changes= p50_ms= p95_ms= partitioned=0|1), `scale_export`,
// `scale_storage`, `scale_index`, `purge_rows`, `purge_partition` (partitioned=1), then `scale_slope`. Each size
// runs twice: on one table (partitioned=0) and on monthly partitions (capture.partitioning, partitioned=1), the
// same data. The purge: everything before the start of the month 22 months back (about a month and a half of
// the log) by rows on one table and by partition drop on partitions (the same rows), then on partitions the
// following month by rows (retention.partitions: 'rows'); purge_partition_over_rows is the last two's ratio.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { ThreadlineCaptureModule } = require('@threadline/capture');
const { AuditQueryService } = require('@threadline/query');
const { ExportService, ThreadlineExportModule } = require('@threadline/export');
const { resolveRetentionPolicy, RetentionService, ThreadlineRetentionModule } = require('@threadline/retention');
const { DataSource } = require('typeorm');
const { startBenchServer } = require('./bench-server');
const { generate, MONTHS, TABLES } = require('./scale-data');

const SIZES = (process.env.BENCH_SCALE_CHANGES ?? '1000000,10000000').split(',').map(Number);
const RUNS = 100;

/** The same policy deleting row by row on partitioned storage too (retention.partitions: 'rows'). */
function byRows(app) {
  const policy = resolveRetentionPolicy({ keepDays: 1, enabled: true, partitions: 'rows' });
  return new RetentionService(app.get(DataSource), policy);
}

function appModule(url) {
  class ScaleBenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineExportModule,
      ThreadlineRetentionModule.forRoot({ keepDays: 1, enabled: true }),
    ],
  })(ScaleBenchModule);
  return ScaleBenchModule;
}

async function latencies(run) {
  const times = [];
  for (let i = 0; i < RUNS + 10; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    if (i >= 10) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(RUNS * 0.5)], p95: times[Math.floor(RUNS * 0.95)] };
}

async function measure(client, url, n, rowsPerTable, partitioned) {
  const tag = `partitioned=${partitioned ? 1 : 0}`;
  const app = await NestFactory.createApplicationContext(appModule(url), { logger: false });
  const q = app.get(AuditQueryService);
  const [{ mid }] = (await client.query(`SELECT (now() - ${MONTHS / 2} * interval '1 month')::text AS mid`)).rows;
  // keys spread over the rows (a multiplicative step), so repeated runs do not read one cached page
  const key = (i) => (i * 7919) % rowsPerTable;
  const shapes = {
    history: (i) => q.history(`t${i % TABLES}`, key(i)),
    asof: (i) => q.asOf(`t${i % TABLES}`, key(i), mid),
    timeline_table: (i) => q.timeline({ table: `t${i % TABLES}` }),
    timeline_actor: (i) => q.timeline({ actorRef: `user:${i % 1000}` }),
    timeline_correlation: (i) => q.timeline({ correlationId: `corr-${(1 + ((i * 37) % (n / 1000))) * 100}` }),
  };
  const out = {};
  for (const [name, run] of Object.entries(shapes)) {
    const { p50, p95 } = await latencies(run);
    out[name] = p95;
    const [line, filter] = name.startsWith('timeline_') ? ['timeline', ` filter=${name.slice(9)}`] : [name, ''];
    console.log(`scale_${line}${filter} changes=${n} p50_ms=${p50.toFixed(2)} p95_ms=${p95.toFixed(2)} ${tag}`);
  }
  // one month of every table (the timeline's filters), streamed as NDJSON
  const month = (
    await client.query(
      `SELECT (now() - 13 * interval '1 month')::text AS f, (now() - 12 * interval '1 month')::text AS t`,
    )
  ).rows[0];
  const meta = { returnedCount: 0, truncated: false };
  const started = process.hrtime.bigint();
  for await (const _ of app
    .get(ExportService)
    .chunks({ from: month.f, to: month.t }, { format: 'ndjson', maxRows: null }, meta));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `scale_export changes=${n} rows=${meta.returnedCount} rows_per_s=${Math.round(meta.returnedCount / seconds)} ${tag}`,
  );
  out.export = meta.returnedCount / seconds;
  const sizes = (
    await client.query(
      // every partition's (one table: itself)
      `SELECT sum(pg_table_size(p.relid)) AS heap, sum(pg_indexes_size(p.relid)) AS idx
       FROM (SELECT relid FROM pg_partition_tree('audit_changes') UNION SELECT 'audit_changes'::regclass) AS p`,
    )
  ).rows[0];
  console.log(
    `scale_storage changes=${n} bytes_per_change=${Math.round((Number(sizes.heap) + Number(sizes.idx)) / n)} heap_mb=${Math.round(sizes.heap / 1048576)} index_mb=${Math.round(sizes.idx / 1048576)} ${tag}`,
  );
  for (const r of (
    await client.query(
      `SELECT i.indexrelid::regclass::text AS name,
              (SELECT sum(pg_relation_size(p.relid)) FROM (SELECT relid FROM pg_partition_tree(i.indexrelid) UNION SELECT i.indexrelid) AS p) AS bytes
       FROM pg_index AS i WHERE i.indrelid = 'audit_changes'::regclass ORDER BY 1`,
    )
  ).rows)
    console.log(`scale_index changes=${n} name=${r.name} mb=${Math.round(r.bytes / 1048576)} ${tag}`);
  // The oldest month and a half (everything before a month's start), sealed first as the sealer would have
  // sealed it (seal rows written set-based; the purge records each sealed transaction it removes in the ledger):
  // by rows on one table, by partition drop on partitions; then on partitions the next month by rows.
  const [{ a, b }] = (
    await client.query(`SELECT (date_trunc('month', (now() - 22 * interval '1 month') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')::text AS a,
                               (date_trunc('month', (now() - 21 * interval '1 month') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')::text AS b`)
  ).rows;
  await client.query(
    `INSERT INTO audit_seals (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format, kind)
     SELECT row_number() OVER (ORDER BY t.txid), t.id, 10, '\\x00', '\\x00', 0, now(), 2, 'transaction'
     FROM audit_transactions AS t WHERE t.occurred_at < $1::timestamptz`,
    [b],
  );
  await client.query(`SELECT threadline_tree_grow()`);
  const purge = async (line, service, cutoff) => {
    const began = process.hrtime.bigint();
    const purged = await service.purge({ cutoff });
    const took = Number(process.hrtime.bigint() - began) / 1e9;
    console.log(
      `${line} changes=${n} rows=${purged.deletedChanges} partitions=${purged.partitions.length} seconds=${took.toFixed(2)} rows_per_s=${Math.round(purged.deletedChanges / took)} ${tag}`,
    );
    return purged.deletedChanges / took;
  };
  if (!partitioned) out.purgeRowsPerSecond = await purge('purge_rows', app.get(RetentionService), a);
  else {
    out.purgePartitionRowsPerSecond = await purge('purge_partition', app.get(RetentionService), a);
    out.purgeRowsPerSecond = await purge('purge_rows', byRows(app), b);
    console.log(
      `purge_partition_over_rows changes=${n} ratio=${(out.purgePartitionRowsPerSecond / out.purgeRowsPerSecond).toFixed(0)} (target at least 100)`,
    );
  }
  await app.close();
  return out;
}

async function main() {
  const server = await startBenchServer('threadline_scale_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  const results = [];
  for (const n of SIZES) {
    for (const partitioned of [false, true]) {
      const started = Date.now();
      const rowsPerTable = await generate(client, n, partitioned);
      console.log(
        `scale_generate changes=${n} seconds=${((Date.now() - started) / 1000).toFixed(0)} partitioned=${partitioned ? 1 : 0}`,
      );
      results.push({ n, partitioned, ...(await measure(client, server.url, n, rowsPerTable, partitioned)) });
    }
  }
  for (const partitioned of [false, true]) {
    const same = results.filter((r) => r.partitioned === partitioned);
    for (let i = 1; i < same.length; i++) {
      const [a, b] = [same[i - 1], same[i]];
      const f = (x) => x.toFixed(2);
      console.log(
        `scale_slope changes=${a.n}->${b.n} history_p95_ms=${f(a.history)}->${f(b.history)} asof_p95_ms=${f(a.asof)}->${f(b.asof)}` +
          ` timeline_table_p95_ms=${f(a.timeline_table)}->${f(b.timeline_table)} timeline_actor_p95_ms=${f(a.timeline_actor)}->${f(b.timeline_actor)}` +
          ` purge_rows_per_s=${Math.round(a.purgeRowsPerSecond)}->${Math.round(b.purgeRowsPerSecond)} partitioned=${partitioned ? 1 : 0} (targets at 100M: history p95 < 20 ms, as-of p95 < 50 ms)`,
      );
    }
  }
  await client.end();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

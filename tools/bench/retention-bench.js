#!/usr/bin/env node
// Retention purge throughput (`npm run bench`): 1,000,000 eligible changes
// (10 per transaction) purged through the real RetentionService, at batch
// sizes 500 and 5,000. Prints rows/s for each, and their ratio. Then a table's
// own window: half the changes (every other transaction of 10) belong to a
// table with a 30-day window and are purged with their transactions, the other
// half are recent and stay; prints
// its rows/s against the global window's at batch 500 (`vs_global`, target
// at least 0.8) and the mean time of its last 20 batches against its first
// 20 (`end_vs_start`, target at most 1.5: flat across the run).
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { auditSchemaSql, ThreadlineCaptureModule } = require('@threadline/capture');
const { RetentionService, ThreadlineRetentionModule } = require('@threadline/retention');
const { startBenchServer } = require('./bench-server');

const ROWS = Number(process.env.BENCH_PURGE_ROWS ?? 1_000_000);

async function main() {
  const server = await startBenchServer('threadline_purge_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await client.query(auditSchemaSql('public').up);
  const results = {};
  for (const batchSize of [500, 5000]) {
    await client.query('TRUNCATE audit_changes, audit_transactions');
    await client.query(
      `INSERT INTO audit_transactions (id, txid, occurred_at)
       SELECT md5(g::text)::uuid, g, now() - interval '200 days' FROM generate_series(1, ${ROWS / 10}) g`,
    );
    await client.query(
      `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
       SELECT md5((1 + (g - 1) / 10)::text)::uuid, 'public', 'items', 'insert', jsonb_build_object('id', g), jsonb_build_object('id', g, 'v', 'value ' || g),
              now() - interval '200 days' + g * interval '1 millisecond'
       FROM generate_series(1, ${ROWS}) g`,
    );
    await client.query('VACUUM ANALYZE audit_changes');
    await client.query('VACUUM ANALYZE audit_transactions');
    await client.query('CHECKPOINT');
    const app = await NestFactory.createApplicationContext(benchModule(server.url, batchSize), { logger: false });
    const started = process.hrtime.bigint();
    const result = await app.get(RetentionService).purge();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await app.close();
    if (result.deletedChanges !== ROWS)
      throw new Error(`expected ${ROWS} deleted changes, got ${JSON.stringify(result)}`);
    results[batchSize] = ROWS / seconds;
    console.log(
      `purge_batch${batchSize} rows=${ROWS} seconds=${seconds.toFixed(1)} rows_per_s=${Math.round(results[batchSize])} batches=${result.batchesRun} deleted_transactions=${result.deletedTransactions}`,
    );
  }
  console.log(`purge batch5000_vs_batch500=${(results[5000] / results[500]).toFixed(2)}`);
  await perTable(client, server.url, results[500]);
  await client.end();
  await server.stop();
}

/** A table's own window over interleaved changes: `items` (old, purged) and `notes` (recent, kept). */
async function perTable(client, url, globalRowsPerSecond) {
  const purged = ROWS / 2;
  await client.query('TRUNCATE audit_changes, audit_transactions');
  await client.query(
    'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY); CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY)',
  );
  await client.query(
    `INSERT INTO audit_transactions (id, txid, occurred_at)
     SELECT md5(g::text)::uuid, g, now() - interval '200 days' FROM generate_series(1, ${ROWS / 10}) g`,
  );
  await client.query(
    `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
     SELECT md5((1 + (g - 1) / 10)::text)::uuid, 'public', CASE WHEN (g - 1) / 10 % 2 = 0 THEN 'items' ELSE 'notes' END, 'insert',
            jsonb_build_object('id', g), jsonb_build_object('id', g, 'v', 'value ' || g),
            CASE WHEN (g - 1) / 10 % 2 = 0 THEN now() - interval '200 days' + g * interval '1 millisecond' ELSE now() END
     FROM generate_series(1, ${ROWS}) g`,
  );
  await client.query('VACUUM ANALYZE audit_changes');
  await client.query('VACUUM ANALYZE audit_transactions');
  await client.query('CHECKPOINT');
  const app = await NestFactory.createApplicationContext(benchModule(url, 500, { items: { keepDays: 30 } }), {
    logger: false,
  });
  const times = [];
  let last = process.hrtime.bigint();
  const started = last;
  const result = await app.get(RetentionService).purge({
    onBatch: () => {
      const now = process.hrtime.bigint();
      times.push(Number(now - last) / 1e6);
      last = now;
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.close();
  if (result.deletedChanges !== purged)
    throw new Error(`expected ${purged} deleted changes, got ${JSON.stringify(result)}`);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // the first interval also holds the global window's own (empty) pass: leave it out
  const [start, end] = [mean(times.slice(1, 21)), mean(times.slice(-20))];
  const rowsPerSecond = purged / seconds;
  console.log(
    `purge_per_table rows=${purged} kept=${ROWS - purged} seconds=${seconds.toFixed(1)} rows_per_s=${Math.round(rowsPerSecond)} vs_global=${(rowsPerSecond / globalRowsPerSecond).toFixed(2)} first_batches_ms=${start.toFixed(1)} last_batches_ms=${end.toFixed(1)} end_vs_start=${(end / start).toFixed(2)}`,
  );
}

function benchModule(url, batchSize, tables) {
  class PurgeBenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineRetentionModule.forRoot({ keepDays: 90, enabled: true, batchSize, maxBatches: 100_000, tables }),
    ],
  })(PurgeBenchModule);
  return PurgeBenchModule;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

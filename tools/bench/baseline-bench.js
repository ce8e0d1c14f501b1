#!/usr/bin/env node
// Baseline snapshots (`npm run bench`): 200,000 pre-capture rows snapshotted
// by BaselineService in batches of 1,000 while a writer updates random rows,
// beside a baseline measured in the same run: one INSERT ... SELECT of the
// same images (fastest possible, but one long transaction that blocks every
// writer of the table). Prints rows/s for both, the ratio, and the writer's
// median and worst update latency next to the median batch time: a writer
// must never wait much longer than one batch.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { auditSchemaSql, CaptureService, ThreadlineCaptureModule } = require('@threadline/capture');
const { ThreadlineHealthModule } = require('@threadline/health');
const { BaselineService, ThreadlineBaselineModule } = require('@threadline/baseline');
const { ThreadlineProofModule } = require('@threadline/proof');
const { startBenchServer } = require('./bench-server');

const ROWS = 200_000;
const BATCH = 1000;

async function main() {
  const server = await startBenchServer('threadline_baseline_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await client.query(auditSchemaSql('public').up);
  for (const t of ['naive_rows', 'legacy']) {
    await client.query(`CREATE TABLE ${t} (id int PRIMARY KEY, email text, name text, score int);
      INSERT INTO ${t} SELECT g, 'p' || g || '@example.com', 'name ' || g, g % 97 FROM generate_series(1, ${ROWS}) g`);
  }
  class BaselineBenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: server.url }),
      ThreadlineCaptureModule.forRoot({ tables: { legacy: { mask: ['email'] }, naive_rows: { mask: ['email'] } } }),
      ThreadlineProofModule.forRoot({}),
      ThreadlineHealthModule.forRoot({}),
      ThreadlineBaselineModule,
    ],
  })(BaselineBenchModule);
  const app = await NestFactory.createApplicationContext(BaselineBenchModule, { logger: false });
  await client.query((await app.get(CaptureService).triggerSql()).up);
  await client.query('VACUUM ANALYZE');

  // Baseline: every image in one statement and one transaction.
  let started = process.hrtime.bigint();
  await client.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after)
    SELECT gen_random_uuid(), 'public', 'naive_rows', 'snapshot', jsonb_build_object('id', n.id), to_jsonb(n) || jsonb_build_object('email', '[REDACTED]')
    FROM naive_rows AS n ORDER BY n.id`);
  const naiveSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  // BaselineService with a concurrent writer on the same table.
  const writer = new Client({ connectionString: server.url });
  await writer.connect();
  const latencies = [];
  let stop = false;
  const writing = (async () => {
    while (!stop) {
      const t = process.hrtime.bigint();
      await writer.query(`UPDATE legacy SET score = score + 1 WHERE id = $1`, [1 + Math.floor(Math.random() * ROWS)]);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  })();
  const batchTimes = [];
  let last = process.hrtime.bigint();
  started = last;
  const result = await app.get(BaselineService).baseline('legacy', {
    execute: true,
    batchSize: BATCH,
    onBatch: () => {
      const now = process.hrtime.bigint();
      batchTimes.push(Number(now - last) / 1e6);
      last = now;
    },
  });
  const baselineSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  stop = true;
  await writing;
  await writer.end();
  if (result.status !== 'complete') throw new Error(`baseline ended ${result.status}`);

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `baseline_naive rows=${ROWS} rows_per_s=${Math.round(ROWS / naiveSeconds)} (one transaction, blocks writers throughout)`,
  );
  console.log(
    `baseline rows=${ROWS} snapshots=${result.written} batch=${BATCH} rows_per_s=${Math.round(result.written / baselineSeconds)} vs_naive=${(baselineSeconds / naiveSeconds).toFixed(2)}`,
  );
  console.log(
    `baseline writer updates=${latencies.length} p50_ms=${median(latencies).toFixed(2)} max_ms=${Math.max(...latencies).toFixed(2)} batch_p50_ms=${median(batchTimes).toFixed(2)} batch_max_ms=${Math.max(...batchTimes).toFixed(2)}`,
  );
  await app.close();
  await client.end();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

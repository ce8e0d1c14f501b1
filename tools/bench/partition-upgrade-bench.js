#!/usr/bin/env node
// Moving an unpartitioned log into partitions (`partitions upgrade`, issue 28), on a log generated as scale-bench
// generates it (BENCH_UPGRADE_CHANGES, default 1M changes). Lines:
//   partition_upgrade_writes us_per_tx before=<us> during=<us> during_over_before=<ratio>
//     an audited one-row INSERT in its own transaction, while no upgrade is under way and while one is (its
//     triggers copy each write), 2000 each, interleaved over 5 rounds (start, measure, abort); the median ratio
//   partition_upgrade changes=<n> seconds=<s> rows_per_s=<n> batches=<n>
//     start, copy (batches of 5000) and finish through PartitionUpgradeService, no writer
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { PartitionUpgradeService, ThreadlineCaptureModule } = require('@threadline/capture');
const { startBenchServer } = require('./bench-server');
const { generate } = require('./scale-data');

const CHANGES = Number(process.env.BENCH_UPGRADE_CHANGES ?? 1000000);
const WRITES = 2000;
const ROUNDS = 5;

function appModule(url) {
  class UpgradeBenchModule {}
  Module({ imports: [TypeOrmModule.forRoot({ type: 'postgres', url }), ThreadlineCaptureModule.forRoot({})] })(
    UpgradeBenchModule,
  );
  return UpgradeBenchModule;
}

/** Microseconds per audited one-row INSERT transaction, over WRITES of them. */
async function writes(client, from) {
  const began = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) await client.query(`INSERT INTO t0 VALUES ($1)`, [from + i]);
  return Number(process.hrtime.bigint() - began) / 1e3 / WRITES;
}

async function main() {
  const server = await startBenchServer('threadline_upgrade_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await generate(client, CHANGES, false);
  await client.query(`SELECT threadline_capture('public', 't0', 'threadline_audit_t0', '{}')`);
  await writes(client, 10_000_000); // warm-up
  const before = [];
  const during = [];
  for (let round = 0; round < ROUNDS; round++) {
    before.push(await writes(client, 20_000_000 + round * 2 * WRITES));
    await client.query(`SELECT threadline_partition_upgrade_start('month', 3)`);
    during.push(await writes(client, 20_000_000 + (round * 2 + 1) * WRITES));
    await client.query(`SELECT threadline_partition_upgrade_abort()`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratio = median(during.map((d, i) => d / before[i]));
  console.log(
    `partition_upgrade_writes us_per_tx before=${median(before).toFixed(0)} during=${median(during).toFixed(0)} during_over_before=${ratio.toFixed(2)}`,
  );
  await client.query('VACUUM ANALYZE audit_changes');
  const app = await NestFactory.createApplicationContext(appModule(server.url), { logger: false });
  const began = process.hrtime.bigint();
  const result = await app.get(PartitionUpgradeService).upgrade({ interval: 'month', ahead: 3 });
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  console.log(
    `partition_upgrade changes=${result.changes} seconds=${seconds.toFixed(1)} rows_per_s=${Math.round((result.changes + result.transactions) / seconds)} batches=${result.batches}`,
  );
  await app.close();
  await client.end();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

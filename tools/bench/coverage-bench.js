#!/usr/bin/env node
// Trigger coverage latency (`npm run bench`): 1,000 tables, half of them
// audited, read by CoverageService.triggerCoverage() in one catalog round
// trip. Prints p50/p95 over 30 runs, beside a 10-table baseline measured in
// the same run.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { auditSchemaSql, CaptureService, ThreadlineCaptureModule } = require('@threadline/capture');
const { CoverageService, ThreadlineHealthModule } = require('@threadline/health');
const { ThreadlineProofModule } = require('@threadline/proof');
const { startBenchServer } = require('./bench-server');

async function measure(url, schema, tables) {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  for (let i = 0; i < tables; i++) await client.query(`CREATE TABLE ${schema}.t${i} (id int PRIMARY KEY, v text)`);
  class CoverageBenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineProofModule.forRoot({}),
      ThreadlineHealthModule.forRoot({ schemas: [schema] }),
    ],
  })(CoverageBenchModule);
  const app = await NestFactory.createApplicationContext(CoverageBenchModule, { logger: false });
  const audited = Array.from({ length: Math.ceil(tables / 2) }, (_, i) => `${schema}.t${i * 2}`);
  await client.query((await app.get(CaptureService).triggerSql({ tables: audited })).up);
  const coverage = app.get(CoverageService);
  const times = [];
  for (let run = 0; run < 33; run++) {
    const started = process.hrtime.bigint();
    const result = await coverage.triggerCoverage();
    if (run >= 3) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.length !== tables) throw new Error(`expected ${tables} tables, got ${result.length}`);
  }
  await app.close();
  await client.end();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)], p95: times[Math.floor(times.length * 0.95)] };
}

async function main() {
  const server = await startBenchServer('threadline_coverage_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await client.query(auditSchemaSql('public').up);
  await client.end();
  const small = await measure(server.url, 'small', 10);
  const large = await measure(server.url, 'large', 1000);
  console.log(`coverage tables=10 p50_ms=${small.p50.toFixed(2)} p95_ms=${small.p95.toFixed(2)}`);
  console.log(
    `coverage tables=1000 p50_ms=${large.p50.toFixed(2)} p95_ms=${large.p95.toFixed(2)} ratio_p50=${(large.p50 / small.p50).toFixed(1)}`,
  );
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

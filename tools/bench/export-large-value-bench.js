#!/usr/bin/env node
// One stored value of millions of characters, exported (`npm run bench`): an app's users decide how large a value
// is, and a value of quote characters is the worst case for every layer (JSON escapes each, CSV doubles each).
// Prints seconds, the longest the event loop was held (other requests wait that long) and peak RSS, per format,
// and CSV's time as a ratio of NDJSON's in the same run. Before the fix, a line split across COPY chunks was
// searched from its start for every chunk (8M characters: NDJSON 3.3 s, CSV 12.8 s, the loop held 0.9 s).
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { auditSchemaSql, ThreadlineCaptureModule, CaptureService } = require('@threadline/capture');
const { ExportService, ThreadlineExportModule } = require('@threadline/export');
const { startBenchServer } = require('./bench-server');
(async () => {
  const server = await startBenchServer('threadline_large_value_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await client.query(auditSchemaSql('public').up);
  await client.query('CREATE TABLE items (id int PRIMARY KEY, v text)');
  class M {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: server.url }),
      ThreadlineCaptureModule.forRoot({ tables: { items: {} } }),
      ThreadlineExportModule,
    ],
  })(M);
  const app = await NestFactory.createApplicationContext(M, { logger: false });
  await client.query((await app.get(CaptureService).triggerSql()).up);
  const sizes = (process.env.BENCH_LARGE_VALUE_CHARS || '2000000,8000000,30000000').split(',').map(Number);
  let id = 0;
  for (const n of sizes) {
    await client.query(`DELETE FROM audit_changes`);
    await client.query(`INSERT INTO items VALUES ($1, repeat('"', $2))`, [++id, n]);
    const seconds = {};
    for (const format of ['ndjson', 'csv']) {
      const t = process.hrtime.bigint();
      let bytes = 0;
      let maxGap = 0;
      let last = Date.now();
      const iv = setInterval(() => {
        const now = Date.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
      }, 10);
      for await (const c of app.get(ExportService).chunks({ table: 'items' }, { format, maxRows: 10 }))
        bytes += c.length;
      clearInterval(iv);
      seconds[format] = Number(process.hrtime.bigint() - t) / 1e9;
      console.log(
        `export_large_value format=${format} chars=${n} seconds=${seconds[format].toFixed(2)} bytes=${bytes} max_loop_gap_ms=${maxGap} peak_rss_mb=${(process.resourceUsage().maxRSS / 1024) | 0}`,
      );
    }
    console.log(`export_large_value chars=${n} csv_vs_ndjson=${(seconds.csv / seconds.ndjson).toFixed(2)}`);
  }
  await app.close();
  await client.end();
  await server.stop();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

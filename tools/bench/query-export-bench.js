#!/usr/bin/env node
// Exploration and export at scale (`npm run bench`), on 1,000,000 captured
// changes: p50/p95 latency of history and timeline by table, actor and
// correlation; then streaming NDJSON and CSV exports of 10,000 and 1,000,000 rows,
// each in a fresh process, printing rows/s and peak RSS (memory must stay
// flat: 1M within 1.5x of 10k). Then one transaction of 100,000 changes of
// 40 kB rows (an import), walked page by page through changesForTransaction
// and exported whole, each in a fresh process, against 1,000- and
// 10,000-change transactions of the same rows (peak RSS: 100k within 1.5x of
// 10k; a walk's pages of 1,000 x 40 kB leave garbage V8 collects when it will). `--transactions` runs
// only that part.
require('reflect-metadata');
const { spawnSync } = require('child_process');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { Client } = require('pg');
const { auditQueryIndexesSql, auditSchemaSql, ThreadlineCaptureModule } = require('@threadline/capture');
const { AuditQueryService } = require('@threadline/query');
const { ExportService, ThreadlineExportModule } = require('@threadline/export');
const { startBenchServer } = require('./bench-server');

const CHANGES = 1_000_000;

function appModule(url) {
  class QueryBenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineExportModule,
    ],
  })(QueryBenchModule); // no HTTP routes: queries and exports only
  return QueryBenchModule;
}

/** Child mode: export `rows` changes in `format` to nowhere, print rows/s and peak RSS. */
async function exportChild(url, format, rows) {
  const app = await NestFactory.createApplicationContext(appModule(url), { logger: false });
  const exports = app.get(ExportService);
  const started = process.hrtime.bigint();
  let bytes = 0;
  const meta = { returnedCount: 0, truncated: false };
  for await (const chunk of exports.chunks({}, { format, maxRows: rows }, meta)) bytes += chunk.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.close();
  process.stdout.write(
    JSON.stringify({ rows: meta.returnedCount, seconds, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
  );
}

/** Child mode: read one transaction's changes (`walk`: every page of 1,000; `export`: NDJSON), print peak RSS. */
async function transactionChild(url, mode, id) {
  const app = await NestFactory.createApplicationContext(appModule(url), { logger: false });
  const started = process.hrtime.bigint();
  let rows = 0;
  let bytes = 0;
  if (mode === 'walk') {
    const q = app.get(AuditQueryService);
    for (let cursor; ;) {
      const page = await q.changesForTransaction(id, { limit: 1000, cursor });
      rows += page.changes.length;
      bytes += page.changes.reduce((n, c) => n + JSON.stringify(c.data_after).length, 0);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
  } else {
    const meta = { returnedCount: 0, truncated: false };
    for await (const chunk of app
      .get(ExportService)
      .chunks({ transactionId: id }, { format: 'ndjson', maxRows: null }, meta))
      bytes += chunk.length;
    rows = meta.returnedCount;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await app.close();
  process.stdout.write(JSON.stringify({ rows, seconds, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** One transaction of `count` changes of 40 kB images (compressible: cheap to store, 40 kB each once in Node). */
async function insertTransaction(client, id, count) {
  await client.query(
    `INSERT INTO audit_transactions (id, txid, actor_ref, source) VALUES ($1, txid_current(), '{"type":"system","id":"import"}', 'import')`,
    [id],
  );
  await client.query(
    `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after)
     SELECT $1, 'public', 'imports', 'insert', jsonb_build_object('id', g), jsonb_build_object('id', g, 'payload', repeat(md5(g::text), 1250))
     FROM generate_series(1, $2::int) g`,
    [id, count],
  );
}

async function transactionBench(url) {
  const big = '10000000-0000-4000-8000-000000000001';
  const small = '10000000-0000-4000-8000-000000000002';
  const medium = '10000000-0000-4000-8000-000000000003';
  const client = new Client({ connectionString: url });
  await client.connect();
  await insertTransaction(client, big, 100_000);
  await insertTransaction(client, small, 1_000);
  await insertTransaction(client, medium, 10_000);
  await client.query('VACUUM ANALYZE audit_changes');
  await client.end();
  for (const mode of ['walk', 'export']) {
    const results = {};
    for (const [count, id] of [
      [1_000, small],
      [10_000, medium],
      [100_000, big],
    ]) {
      const child = spawnSync(process.execPath, [__filename, '--transaction-child', url, mode, id], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(child.stderr);
      const r = JSON.parse(child.stdout);
      results[count] = r;
      console.log(
        `transaction_${mode} changes=${r.rows} row_kb=40 mb_read=${(r.bytes / 1e6).toFixed(0)} seconds=${r.seconds.toFixed(1)} peak_rss_mb=${r.maxRssMb.toFixed(0)}`,
      );
    }
    console.log(
      `transaction_${mode} peak_rss_100k_vs_10k=${(results[100_000].maxRssMb / results[10_000].maxRssMb).toFixed(2)} (target <= 1.5: flat in the transaction's size) peak_rss_100k_vs_1k=${(results[100_000].maxRssMb / results[1_000].maxRssMb).toFixed(2)}`,
    );
  }
}

async function main() {
  const server = await startBenchServer('threadline_query_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  await client.query(auditSchemaSql('public', { queryIndexes: false }).up);
  for (let t = 0; t < 20; t++) await client.query(`CREATE TABLE t${t} (id int PRIMARY KEY)`);
  await client.query(`INSERT INTO audit_transactions (id, txid, occurred_at, actor_ref, correlation_id)
    SELECT md5(g::text)::uuid, g, now() - (100000 - g) * interval '1 minute', jsonb_build_object('type', 'user', 'id', (g % 1000)::text),
           CASE WHEN g % 100 = 0 THEN 'corr-' || g END
    FROM generate_series(1, 100000) g`);
  await client.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
    SELECT md5((1 + (g - 1) / 10)::text)::uuid, 'public', 't' || (g % 20), 'insert', jsonb_build_object('id', g / 20),
           jsonb_build_object('id', g / 20, 'name', 'row ' || g, 'score', g % 97), now() - (100000 - (1 + (g - 1) / 10)) * interval '1 minute'
    FROM generate_series(1, ${CHANGES}) g`);
  await client.query(auditQueryIndexesSql('public'));
  await client.query('VACUUM ANALYZE');
  await client.end();

  const app = await NestFactory.createApplicationContext(appModule(server.url), { logger: false });
  const q = app.get(AuditQueryService);
  const shapes = {
    history: (i) => q.history(`t${i % 20}`, 1000 + i),
    timeline_by_table: (i) => q.timeline({ table: `t${i % 20}` }),
    timeline_by_actor: (i) => q.timeline({ actorRef: `user:${i % 1000}` }),
    timeline_by_correlation: (i) => q.timeline({ correlationId: `corr-${(1 + (i % 1000)) * 100}` }),
  };
  for (const [name, run] of Object.entries(shapes)) {
    const times = [];
    for (let i = 0; i < 110; i++) {
      const started = process.hrtime.bigint();
      await run(i);
      if (i >= 10) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`query ${name} changes=${CHANGES} p50_ms=${times[49].toFixed(2)} p95_ms=${times[94].toFixed(2)}`);
  }
  await app.close();

  for (const format of ['ndjson', 'csv']) {
    const results = {};
    for (const rows of [10_000, 1_000_000]) {
      const child = spawnSync(process.execPath, [__filename, '--export-child', server.url, format, String(rows)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(child.stderr);
      const r = JSON.parse(child.stdout);
      results[rows] = r;
      console.log(
        `export_${format} rows=${r.rows} rows_per_s=${Math.round(r.rows / r.seconds)} peak_rss_mb=${r.maxRssMb.toFixed(0)}`,
      );
    }
    console.log(
      `export_${format} peak_rss_1m_vs_10k=${(results[1_000_000].maxRssMb / results[10_000].maxRssMb).toFixed(2)} (target <= 1.5)`,
    );
  }
  await transactionBench(server.url);
  await server.stop();
}

if (process.argv[2] === '--transaction-child') {
  transactionChild(process.argv[3], process.argv[4], process.argv[5]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (process.argv[2] === '--export-child') {
  exportChild(process.argv[3], process.argv[4], Number(process.argv[5])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (process.argv[2] === '--transactions') {
  // only the large-transaction lines
  startBenchServer('threadline_query_bench')
    .then(async (server) => {
      const client = new Client({ connectionString: server.url });
      await client.connect();
      await client.query(auditSchemaSql('public', { queryIndexes: false }).up);
      await client.query(auditQueryIndexesSql('public'));
      await client.end();
      await transactionBench(server.url);
      await server.stop();
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

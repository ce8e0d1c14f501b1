#!/usr/bin/env node
// Capture cost benchmark (`npm run bench`). Measures, in one run on the same
// server and table shapes: no audit, the reference algorithm (naive), and
// Threadline's generated triggers. Prints one line per workload:
//   <workload> unaudited=<ms> naive=<ms> threadline=<ms> ratio=<threadline/unaudited> vs_naive=<naive/threadline>
// For `oltp` the numbers are transactions per second and ratio=unaudited/threadline.
const os = require('os');
const { Client } = require('pg');
const {
  auditSchemaSql,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
} = require('@threadline/capture');
const { startBenchServer } = require('./bench-server');
const { naiveSchemaSql, naiveTriggerSql } = require('./naive-reference.sql');

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const OLTP_SECONDS = Number(process.env.BENCH_OLTP_SECONDS ?? 20);
const OLTP_CLIENTS = 4;
// BENCH_QUERY_INDEXES=0 measures the lean schema (capture.queryIndexes: false)
const QUERY_INDEXES = process.env.BENCH_QUERY_INDEXES !== '0';
const MODES = ['unaudited', 'naive', 'threadline'];

const narrowColumns = 'id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL, c timestamptz NOT NULL DEFAULT now()';
const wideColumns = [
  'id bigint PRIMARY KEY',
  ...Array.from({ length: 39 }, (_, i) => `c${i} ${['int', 'text', 'numeric', 'timestamptz'][i % 4]}`),
].join(', ');
const wideValues = Array.from({ length: 39 }, (_, i) => ['g', "'v' || g", 'g * 1.5', 'now()'][i % 4]).join(', ');

const shapes = [
  {
    name: '',
    columns: narrowColumns,
    insert: (t) => `INSERT INTO ${t} (id, a, b) SELECT g, g, 'row ' || g FROM generate_series(1, ${ROWS}) g`,
    update: (t) => `UPDATE ${t} SET a = a + 1, b = b || '!'`,
  },
  {
    name: '_wide40',
    columns: wideColumns,
    insert: (t) => `INSERT INTO ${t} SELECT g, ${wideValues} FROM generate_series(1, ${ROWS}) g`,
    update: (t) => `UPDATE ${t} SET c0 = c0 + 1, c1 = c1 || '!'`,
  },
];

async function main() {
  const server = await startBenchServer('threadline_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  const version = (await client.query('SHOW server_version')).rows[0].server_version;
  console.log(
    `# PostgreSQL ${version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${ROWS} rows per bulk statement, query indexes ${QUERY_INDEXES ? 'on (default)' : 'off'}`,
  );
  await client.query(auditSchemaSql('public', { queryIndexes: QUERY_INDEXES }).up);
  await client.query(naiveSchemaSql);
  const options = resolveCaptureOptions({});

  async function prepare(table, columns, mode) {
    await client.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (${columns})`);
    await client.query(
      'TRUNCATE audit_changes, audit_transactions, naive.audit_changes, naive.audit_transactions CASCADE',
    );
    if (mode === 'naive') await client.query(naiveTriggerSql(table));
    if (mode === 'threadline') {
      const [description] = await describeTables(client2rows(client), [{ schema: 'public', table }]);
      await client.query(generateTriggerSql(description, tableOptionsFor(options, 'public', table), options).up);
    }
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
  }

  async function timed(sql) {
    const start = process.hrtime.bigint();
    await client.query(sql);
    return Number(process.hrtime.bigint() - start) / 1e6;
  }

  for (const shape of shapes) {
    const results = { insert: {}, update: {}, delete: {} };
    for (const mode of MODES) {
      const table = `bench${shape.name}`;
      await prepare(table, shape.columns, mode);
      results.insert[mode] = await timed(shape.insert(table));
      await client.query('CHECKPOINT');
      results.update[mode] = await timed(shape.update(table));
      await client.query('CHECKPOINT');
      results.delete[mode] = await timed(`DELETE FROM ${table}`);
    }
    for (const op of ['insert', 'update', 'delete']) {
      const r = results[op];
      printLine(`${op}${shape.name}`, r, r.threadline / r.unaudited, r.naive / r.threadline, 0);
    }
  }

  const tps = {};
  for (const mode of MODES) {
    await prepare('bench_oltp', narrowColumns, mode);
    await client.query(`INSERT INTO bench_oltp (id, a, b) SELECT g, g, 'seed' FROM generate_series(1, 10000) g`);
    tps[mode] = await oltp(server.url);
  }
  printLine('oltp', tps, tps.unaudited / tps.threadline, tps.threadline / tps.naive, 0);

  await client.end();
  await server.stop();
}

/** 4 clients for OLTP_SECONDS: each transaction sets the actor, inserts one row, updates two, reads one. */
async function oltp(url) {
  const deadline = Date.now() + OLTP_SECONDS * 1000;
  let nextId = 1_000_000;
  const worker = async (w) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    let done = 0;
    while (Date.now() < deadline) {
      const id = nextId++;
      const a = 1 + ((id * 7919) % 10000);
      const b = 1 + ((id * 104729) % 10000);
      await c.query('BEGIN');
      await c.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [`{"type":"user","id":"${w}"}`]);
      await c.query(`INSERT INTO bench_oltp (id, a, b) VALUES ($1, 1, 'new')`, [id]);
      await c.query(`UPDATE bench_oltp SET a = a + 1 WHERE id = $1`, [a]);
      await c.query(`UPDATE bench_oltp SET b = b || '.' WHERE id = $1`, [b]);
      await c.query(`SELECT * FROM bench_oltp WHERE id = $1`, [a]);
      await c.query('COMMIT');
      done++;
    }
    await c.end();
    return done;
  };
  const start = Date.now();
  const counts = await Promise.all(Array.from({ length: OLTP_CLIENTS }, (_, w) => worker(w)));
  return (counts.reduce((s, n) => s + n, 0) * 1000) / (Date.now() - start);
}

function printLine(workload, values, ratio, vsNaive) {
  const f = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  console.log(
    `${workload} unaudited=${f(values.unaudited)} naive=${f(values.naive)} threadline=${f(values.threadline)} ratio=${ratio.toFixed(2)} vs_naive=${vsNaive.toFixed(2)}`,
  );
}

function client2rows(client) {
  return { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

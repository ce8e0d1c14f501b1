#!/usr/bin/env node
// Capture cost benchmark (`npm run bench`). Measures, in one run on the same
// server and table shapes: no audit, the reference algorithm (naive), and
// Threadline's generated triggers. Prints one line per workload:
//   <workload> unaudited=<ms> naive=<ms> threadline=<ms> ratio=<threadline/unaudited> vs_naive=<naive/threadline>
// For `oltp` the numbers are transactions per second and ratio=unaudited/threadline.
// Each bulk line also has `floor=`: the same statement writing the same
// row images into audit_changes by hand, in one INSERT ... SELECT over its
// RETURNING rows, with no trigger machinery: the least any trigger could cost
// (`vs_floor` = threadline/floor). `oltp_server` runs the OLTP mix with pgbench
// (prepared statements, no Node client in the way) and prints the TPS ratio and
// the server CPU per transaction, audited over unaudited.
const os = require('os');
const { execFileSync } = require('child_process');
const { existsSync, readFileSync, writeFileSync } = require('fs');
const path = require('path');
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
    floor: {
      insert: (t, tx) =>
        floorSql(
          `INSERT INTO ${t} (id, a, b) SELECT g, g, 'row ' || g FROM generate_series(1, ${ROWS}) g`,
          t,
          tx,
          'insert',
        ),
      update: (t, tx) => floorSql(`UPDATE ${t} SET a = a + 1, b = b || '!'`, t, tx, 'update', ['a', 'b']),
      delete: (t, tx) => floorSql(`DELETE FROM ${t}`, t, tx, 'delete'),
    },
  },
  {
    name: '_wide40',
    columns: wideColumns,
    insert: (t) => `INSERT INTO ${t} SELECT g, ${wideValues} FROM generate_series(1, ${ROWS}) g`,
    update: (t) => `UPDATE ${t} SET c0 = c0 + 1, c1 = c1 || '!'`,
    // the same statements, each writing the images Threadline stores (key, image after, changed columns) itself
    floor: {
      insert: (t, tx) =>
        floorSql(`INSERT INTO ${t} SELECT g, ${wideValues} FROM generate_series(1, ${ROWS}) g`, t, tx, 'insert'),
      update: (t, tx) => floorSql(`UPDATE ${t} SET c0 = c0 + 1, c1 = c1 || '!'`, t, tx, 'update', ['c0', 'c1']),
      delete: (t, tx) => floorSql(`DELETE FROM ${t}`, t, tx, 'delete'),
    },
  },
];

/** `statement` with RETURNING, its rows written to audit_changes as Threadline would, in one INSERT ... SELECT. */
function floorSql(statement, table, tx, op, changedColumns = []) {
  const image = op === 'delete' ? 'NULL' : 'to_jsonb(w)';
  const changed = op === 'update' ? `ARRAY[${changedColumns.map((c) => `'${c}'`).join(', ')}]` : 'NULL';
  return `WITH w AS (${statement} RETURNING *)
    INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, changed_fields)
    SELECT '${tx}', 'public', '${table}', '${op}', jsonb_build_object('id', w.id), ${image}, ${changed} FROM w`;
}

async function main() {
  const server = await startBenchServer('threadline_bench');
  const serverUrl = server.url;
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
    if (shape.floor) {
      const table = `bench${shape.name}`;
      await prepare(table, shape.columns, 'unaudited');
      const [{ id: tx }] = (
        await client.query(`INSERT INTO audit_transactions (txid) VALUES (txid_current()) RETURNING id`)
      ).rows;
      for (const op of ['insert', 'update', 'delete']) {
        results[op].floor = await timed(shape.floor[op](table, tx));
        await client.query('CHECKPOINT');
      }
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

  const pgbench = findPgbench();
  if (!pgbench)
    console.log('oltp_server skipped: no pgbench (apt-get install postgresql-client or postgresql-contrib)');
  else {
    const runs = {};
    for (const mode of ['unaudited', 'threadline']) {
      await prepare('bench_oltp', narrowColumns, mode);
      await client.query(`INSERT INTO bench_oltp (id, a, b) SELECT g, g, 'seed' FROM generate_series(1, 10000) g`);
      await client.query('DROP SEQUENCE IF EXISTS bench_oltp_ids; CREATE SEQUENCE bench_oltp_ids START 1000000');
      runs[mode] = await pgbenchRun(pgbench, serverUrl, client);
    }
    const [u, t] = [runs.unaudited, runs.threadline];
    console.log(
      `oltp_server unaudited_tps=${u.tps.toFixed(0)} threadline_tps=${t.tps.toFixed(0)} ratio=${(u.tps / t.tps).toFixed(2)} ` +
        `unaudited_cpu_us=${u.cpuUs.toFixed(0)} threadline_cpu_us=${t.cpuUs.toFixed(0)} cpu_ratio=${(t.cpuUs / u.cpuUs).toFixed(2)}`,
    );
  }

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
  const floor =
    values.floor === undefined
      ? ''
      : ` floor=${f(values.floor)} vs_floor=${(values.threadline / values.floor).toFixed(2)}`;
  console.log(
    `${workload} unaudited=${f(values.unaudited)} naive=${f(values.naive)} threadline=${f(values.threadline)} ratio=${ratio.toFixed(2)} vs_naive=${vsNaive.toFixed(2)}${floor}`,
  );
}

/** pgbench from PATH or a Debian PostgreSQL install, or undefined. */
function findPgbench() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  }
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = require('fs').readdirSync(debian).sort().reverse();
  const found = versions.map((v) => path.join(debian, v, 'bin', 'pgbench')).find((p) => existsSync(p));
  return found;
}

/** CPU seconds the server's exited backends used: the postmaster's reaped children (utime + stime, in ticks). */
async function serverChildCpu(client) {
  if (process.env.BENCH_DATABASE_URL) return NaN; // a server elsewhere: its processes are not in this /proc
  const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
  try {
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const fields = readFileSync(`/proc/${ppid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in clock ticks of 1/100 s (Linux USER_HZ)
  } catch {
    return NaN; // a server on another machine (BENCH_DATABASE_URL): no CPU figure
  }
}

/** The OLTP mix as a pgbench script: 4 clients, prepared statements, OLTP_SECONDS; TPS and server CPU per transaction. */
async function pgbenchRun(pgbench, url, client) {
  const script = path.join(os.tmpdir(), 'threadline-oltp.pgbench');
  writeFileSync(
    script,
    `\\set a random(1, 10000)
\\set b random(1, 10000)
BEGIN;
SELECT set_config('threadline.actor_ref', '{"type":"user","id":"1"}', true);
INSERT INTO bench_oltp (id, a, b) VALUES (nextval('bench_oltp_ids'), 1, 'new');
UPDATE bench_oltp SET a = a + 1 WHERE id = :a;
UPDATE bench_oltp SET b = b || '.' WHERE id = :b;
SELECT * FROM bench_oltp WHERE id = :a;
END;
`,
  );
  const before = await serverChildCpu(client);
  const out = execFileSync(
    pgbench,
    ['-n', '-M', 'prepared', '-c', String(OLTP_CLIENTS), '-j', '2', '-T', String(OLTP_SECONDS), '-f', script, url],
    { encoding: 'utf8' },
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // the backends exit and are reaped
  const cpu = (await serverChildCpu(client)) - before;
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)[1]);
  const tps = Number(/tps = ([\d.]+)/.exec(out)[1]);
  return { tps, cpuUs: (cpu * 1e6) / transactions };
}

function client2rows(client) {
  return { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

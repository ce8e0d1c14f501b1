#!/usr/bin/env node
// Capture cost across audit schema versions (`npm run bench`): the same audited OLTP transaction
// (set the actor, insert, two updates, a read, commit) run inside the server by a procedure that
// commits each one, so no client round trip blurs it, on one server, alternating rounds between
// databases installed with no audit, the v4, v5 and v9 install SQL (test fixtures) and this version's.
// Prints the median microseconds per transaction and this version's cost over v4's, v9's and v11's (v10 pairs
// a one-row UPDATE without numbering and joining its rows; v12 adds the partition key to every change), and
// partitioned storage (capture.partitioning, monthly) over this version's unpartitioned:
//   capture_versions us_per_tx none=<us> v4=<us> v5=<us> v9=<us> v11=<us> current=<us> partitioned=<us> current_over_v4=<ratio> v5_over_v4=<ratio> current_over_v9=<ratio> current_over_v11=<ratio> partitioned_over_current=<ratio>
const fs = require('fs');
const path = require('path');
const { auditSchemaSql } = require('@threadline/capture');
const { startBenchServer } = require('./bench-server');
const { median, oltpDatabase, runOltp } = require('./oltp-in-server');

const N = Number(process.env.BENCH_VERSION_TX ?? 3000);
const ROUNDS = 8;
const fixture = (version) =>
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'libs', 'capture', 'test', 'fixtures', `install-${version}.sql`),
    'utf8',
  );

(async () => {
  const server = await startBenchServer('capture_versions');
  const installs = {
    none: null,
    v4: fixture('v4'),
    v5: fixture('v5'),
    v9: fixture('v9'),
    v11: fixture('v11'),
    current: auditSchemaSql('public').up,
    partitioned: auditSchemaSql('public', { partitioning: { interval: 'month', ahead: 3 } }).up,
  };
  const clients = {};
  for (const [name, install] of Object.entries(installs))
    clients[name] = await oltpDatabase(server.url, `cv_${name}`, { install });
  const run = (name, first) => runOltp(clients[name], first, N);
  for (const name of Object.keys(clients)) await run(name, 1e9);
  const perTx = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  const over = { current: [], v5: [], currentV9: [], currentV11: [], partitioned: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const names = ['none', 'v4', 'v5', 'v9', 'v11', 'current', 'partitioned'];
    const order = round % 2 ? names.reverse() : names;
    const us = {};
    for (const name of order) us[name] = await run(name, round * N + 1);
    for (const name of order) perTx[name].push(us[name]);
    over.current.push(us.current / us.v4);
    over.v5.push(us.v5 / us.v4);
    over.currentV9.push(us.current / us.v9);
    over.currentV11.push(us.current / us.v11);
    over.partitioned.push(us.partitioned / us.current);
  }
  const f = (n) => median(n).toFixed(0);
  console.log(
    `capture_versions us_per_tx none=${f(perTx.none)} v4=${f(perTx.v4)} v5=${f(perTx.v5)} v9=${f(perTx.v9)} v11=${f(perTx.v11)} current=${f(perTx.current)} partitioned=${f(perTx.partitioned)} current_over_v4=${median(over.current).toFixed(3)} v5_over_v4=${median(over.v5).toFixed(3)} current_over_v9=${median(over.currentV9).toFixed(3)} current_over_v11=${median(over.currentV11).toFixed(3)} partitioned_over_current=${median(over.partitioned).toFixed(3)}`,
  );
  for (const client of Object.values(clients)) await client.end();
  await server.stop();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

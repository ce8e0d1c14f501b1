// The server every benchmark runs on: BENCH_DATABASE_URL (a fresh database
// created on it), or an embedded PostgreSQL in a temporary directory.
const { chmodSync, mkdtempSync } = require('fs');
const os = require('os');
const path = require('path');
const { Client } = require('pg');
const { startPostgres } = require('@threadline/embedded-postgres');

async function startBenchServer(name) {
  if (process.env.BENCH_DATABASE_URL) {
    const admin = new Client({ connectionString: process.env.BENCH_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.BENCH_DATABASE_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), stop: async () => undefined };
  }
  const parent = mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-'));
  chmodSync(parent, 0o755);
  return startPostgres({ dataDir: path.join(parent, 'pg'), persistent: false });
}

module.exports = { startBenchServer };

#!/usr/bin/env node
// Tamper-evidence cost (`npm run bench`), measured in one run on one server:
//   oltp_sealing   audited OLTP TPS with no sealer, with the shipped sealer
//                  running every second, and with a seal-at-commit prototype
//                  (a deferred trigger that extends the chain inside each
//                  audited transaction, under one lock: not shipped)
//   seal           how fast threadline_seal() seals a backlog (transactions/s)
//   verify         how fast verify-integrity's recomputation runs (seals/s)
//   verify_after_head  the same check from a kept head after 1,000 more transactions, against the full walk
//   seal_bulk      sealing one 100,000-change transaction, against writing it
// Ratios are against the baseline measured in the same run (higher = slower).
require('reflect-metadata');
const os = require('os');
const { Client } = require('pg');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const {
  auditSchemaSql,
  chainStepSql,
  changeDigestSql,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  sealContentSql,
  tableOptionsFor,
  ThreadlineCaptureModule,
} = require('@threadline/capture');
const { IntegrityService, ThreadlineProofModule } = require('@threadline/proof');
const { startBenchServer } = require('./bench-server');

const OLTP_SECONDS = Number(process.env.BENCH_OLTP_SECONDS ?? 15);
const CLIENTS = 4;
const BACKLOG = Number(process.env.BENCH_SEAL_BACKLOG ?? 20_000);
const BULK_ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

async function main() {
  const server = await startBenchServer('threadline_integrity_bench');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  const version = (await client.query('SHOW server_version')).rows[0].server_version;
  console.log(`# PostgreSQL ${version}, ${os.cpus().length} cores, ${CLIENTS} OLTP clients for ${OLTP_SECONDS} s`);
  await client.query(auditSchemaSql('public').up);
  await client.query(`CREATE TABLE bench_oltp (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`);
  await client.query(`CREATE TABLE bench_bulk (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`);
  const options = resolveCaptureOptions({});
  const rows = { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
  for (const d of await describeTables(rows, [
    { schema: 'public', table: 'bench_oltp' },
    { schema: 'public', table: 'bench_bulk' },
  ])) {
    await client.query(generateTriggerSql(d, tableOptionsFor(options, d.schema, d.table), options).up);
  }
  await client.query(`INSERT INTO bench_oltp SELECT g, g, 'seed' FROM generate_series(1, 10000) g`);

  const app = await boot(server.url);
  const integrity = app.get(IntegrityService);

  // OLTP: no sealer / the shipped sealer every second / seal at commit (prototype).
  const none = await oltp(server.url);
  await integrity.seal();
  let sealing = true;
  const sealer = (async () => {
    while (sealing) {
      await integrity.seal();
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const withSealer = await oltp(server.url);
  sealing = false;
  await sealer;
  await integrity.seal();
  await client.query(sealAtCommitPrototypeSql());
  const atCommit = await oltp(server.url);
  await client.query(`DROP TRIGGER bench_seal_at_commit ON audit_transactions; DROP FUNCTION bench_seal_at_commit()`);
  await client.query(`TRUNCATE bench_seals`);
  const f = (n) => n.toFixed(0);
  console.log(
    `oltp_sealing none=${f(none)} sealer=${f(withSealer)} seal_at_commit=${f(atCommit)} sealer_ratio=${(none / withSealer).toFixed(2)} seal_at_commit_ratio=${(none / atCommit).toFixed(2)}`,
  );

  // Sealing a backlog: BACKLOG transactions of 3 changes each.
  await integrity.seal();
  await writeBacklog(server.url, BACKLOG);
  let started = Date.now();
  const sealed = await integrity.seal();
  const sealMs = Date.now() - started;
  started = Date.now();
  const report = await integrity.verify();
  const verifyMs = Date.now() - started;
  if (!report.ok) throw new Error(`verification failed: ${report.problems[0]?.message}`);
  console.log(`seal transactions=${sealed} ms=${sealMs} per_second=${f((sealed * 1000) / sealMs)}`);
  console.log(`verify seals=${report.checked} ms=${verifyMs} per_second=${f((report.checked * 1000) / verifyMs)}`);
  // The same chain checked from the head kept by that run, after 1,000 more transactions.
  await writeBacklog(server.url, 1000);
  await integrity.seal();
  started = Date.now();
  const incremental = await integrity.verify({ afterHead: report.head });
  const incrementalMs = Date.now() - started;
  if (!incremental.ok) throw new Error(`verification failed: ${incremental.problems[0]?.message}`);
  console.log(
    `verify_after_head chain=${incremental.head.seq} checked=${incremental.checked} ms=${incrementalMs} full_ms=${verifyMs} ratio=${(incrementalMs / verifyMs).toFixed(3)}`,
  );

  // One bulk transaction: write it, then seal it.
  started = Date.now();
  await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"job","id":"bulk"}', false)`);
  await client.query(`INSERT INTO bench_bulk SELECT g, g, 'row ' || g FROM generate_series(1, ${BULK_ROWS}) g`);
  const writeMs = Date.now() - started;
  started = Date.now();
  await integrity.seal();
  const bulkSealMs = Date.now() - started;
  console.log(
    `seal_bulk changes=${BULK_ROWS} write_ms=${writeMs} seal_ms=${bulkSealMs} ratio=${(bulkSealMs / writeMs).toFixed(2)}`,
  );

  await app.close();
  await client.end();
  await server.stop();
}

async function boot(url) {
  class BenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineProofModule.forRoot({}),
    ],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return app;
}

/**
 * The alternative design, for measurement only: a deferred constraint trigger
 * that hashes the transaction and extends a chain at commit, holding one
 * lock until the transaction ends (every audited transaction waits on it).
 */
function sealAtCommitPrototypeSql() {
  return `CREATE TABLE IF NOT EXISTS bench_seals (seq bigint PRIMARY KEY, transaction_id uuid NOT NULL, chain bytea NOT NULL);
CREATE OR REPLACE FUNCTION bench_seal_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
  n bigint;
  content bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(42);
  SELECT seq, chain INTO last FROM bench_seals ORDER BY seq DESC LIMIT 1;
  n := coalesce(last.seq, 0) + 1;
  SELECT ${sealContentSql('public')} INTO content FROM audit_transactions AS t CROSS JOIN LATERAL ${changeDigestSql('public')} AS d WHERE t.id = NEW.id;
  INSERT INTO bench_seals VALUES (n, NEW.id,
    ${chainStepSql("coalesce(last.chain, decode(repeat('00', 32), 'hex'))", 'n', 'NEW.id', 'content', '2', '0')});
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bench_seal_at_commit AFTER INSERT ON audit_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_seal_at_commit();`;
}

/** CLIENTS clients for OLTP_SECONDS: each transaction sets the actor, inserts one row, updates two, reads one. */
let nextId = 1_000_000;
async function oltp(url) {
  const deadline = Date.now() + OLTP_SECONDS * 1000;
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
  const counts = await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));
  return (counts.reduce((s, n) => s + n, 0) * 1000) / (Date.now() - start);
}

/** `count` audited transactions of one insert and two updates each, from 4 clients. */
async function writeBacklog(url, count) {
  const per = Math.ceil(count / CLIENTS);
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, w) => {
      const c = new Client({ connectionString: url });
      await c.connect();
      for (let i = 0; i < per; i++) {
        const id = nextId++;
        await c.query(
          `BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"${w}"}', true);
           INSERT INTO bench_oltp (id, a, b) VALUES (${id}, 1, 'new');
           UPDATE bench_oltp SET a = a + 1 WHERE id = ${id};
           UPDATE bench_oltp SET b = b || '.' WHERE id = ${id}; COMMIT`,
        );
      }
      await c.end();
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

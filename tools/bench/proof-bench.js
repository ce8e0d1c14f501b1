#!/usr/bin/env node
// The Merkle tree over the seals and offline proofs (`npm run bench`, issue #30), one server:
//   seal_tree      draining a backlog with threadline_seal(): a v7 install (no tree) against v8 (the
//                  tree grown by each call), two databases on one server. Each round writes the backlog
//                  into both, drains it TRIALS times in each (rolled back, alternating which goes first),
//                  then for good; medians, the median of the v8/v7 ratio of each adjacent pair, the
//                  ratio of the committed drains, and grow_share: v8's threadline_tree_grow() run after
//                  v7's sealer in the same transaction, its time over the sealer's (1 + it is the
//                  tree's cost, free of the noise between two databases)
//   seal_tree_writes  writing those backlogs (the capture path, the same in both): sealing runs after
//                  commit, so the tree adds nothing to an audited write
//   tree_build     threadline_tree_grow() once over a synthetic prefix of seals (set-based rows with
//                  random content hashes, format 2, 3 changes each; not a valid chain, never verified)
//   checkpoint     CheckpointService.emit() at that size (a root from the stored nodes)
//   proof          ProofService.prove({ changeId }) for changes of real transactions (written through
//                  capture and sealed by the sealer, half in the middle of the synthetic seals: a leaf as
//                  deep as most, half at the end: a shorter path): the file as the CLI writes
//                  it (and as compact JSON), its path's length, the time to generate it (a sealer call,
//                  the kept checkpoint, the path) and verifyProof()'s
//   inclusion      SealTree.inclusion() for random leaves across the whole tree: rows read, time
//   proof_slope    the same figures from each size to the next
// Sizes: BENCH_PROOF_SEALS (comma-separated, default 100000,1000000), plus 10000000 with BENCH_PROOF_10M=1.
require('reflect-metadata');
const os = require('os');
const path = require('path');
const { generateKeyPairSync } = require('crypto');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('fs');
const { Client } = require('pg');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { DataSource } = require('typeorm');
const {
  auditSchemaSql,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
  ThreadlineCaptureModule,
} = require('@threadline/capture');
const {
  CheckpointService,
  merkle,
  ProofService,
  SealTree,
  ThreadlineProofModule,
  verifyProof,
} = require('@threadline/proof');
const { AuditTables } = require('@threadline/core');
const { startBenchServer } = require('./bench-server');

const V7_INSTALL = readFileSync(
  path.join(__dirname, '..', '..', 'libs', 'capture', 'test', 'fixtures', 'install-v7.sql'),
  'utf8',
);
const ROUNDS = Number(process.env.BENCH_SEAL_TREE_ROUNDS ?? 6);
const BACKLOG = Number(process.env.BENCH_SEAL_TREE_BACKLOG ?? 5000);
const TRIALS = Number(process.env.BENCH_SEAL_TREE_TRIALS ?? 5);
const SIZES = (process.env.BENCH_PROOF_SEALS ?? '100000,1000000')
  .split(',')
  .filter(Boolean)
  .map(Number)
  .concat(process.env.BENCH_PROOF_10M === '1' ? [10_000_000] : []);
const REAL = Number(process.env.BENCH_PROOF_REAL ?? 300);
const PROOFS = Number(process.env.BENCH_PROOF_COUNT ?? 50);
const LEAVES = Number(process.env.BENCH_PROOF_LEAVES ?? 200);
const CLIENTS = 4;

async function main() {
  const server = await startBenchServer('threadline_proof_bench');
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  console.log(`# PostgreSQL ${version}, ${os.cpus().length} cores`);
  const databases = [];
  const database = async (name) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    return url.toString();
  };
  try {
    if (ROUNDS > 0) await sealTree(await database('threadline_bench_v7'), await database('threadline_bench_v8'));
    const results = [];
    for (const size of SIZES) results.push(await proofs(await database(`threadline_bench_proof_${size}`), size));
    for (let i = 1; i < results.length; i++) slope(results[i - 1], results[i]);
  } finally {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  }
}

/** v7 against v8, ROUNDS rounds of BACKLOG transactions written into each, then sealed, in alternating order. */
async function sealTree(v7Url, v8Url) {
  const dbs = [
    { name: 'v7', url: v7Url, install: V7_INSTALL, seal: [], write: [], drained: [] },
    { name: 'v8', url: v8Url, install: auditSchemaSql('public').up, seal: [], write: [], drained: [] },
  ];
  for (const db of dbs) {
    db.client = new Client({ connectionString: db.url });
    await db.client.connect();
    await db.client.query(db.install);
    await capturedTable(db.client);
  }
  // The v7 database also gets v8's tree (table and functions, not v8's sealer): each of its drains then
  // grows the tree after sealing, timed on its own, in the same transaction (grow_share).
  const v8Sql = auditSchemaSql('public').up;
  const piece = (re) => v8Sql.match(re)[0];
  await dbs[0].client.query(
    [
      piece(/CREATE TABLE IF NOT EXISTS "public"\."audit_seal_tree" \([\s\S]*?\n\);/),
      piece(/CREATE OR REPLACE FUNCTION "public"\."threadline_tree_fold"[\s\S]*?\$threadline\$;/),
      piece(/CREATE OR REPLACE FUNCTION "public"\."threadline_tree_grow"[\s\S]*?\$threadline\$;/),
    ].join('\n'),
  );
  const grow = [];
  const drain = async (db, commit) => {
    await db.client.query('BEGIN');
    const ms = await timed(async () => {
      let sealed = 0;
      for (;;) {
        const { rows } = await db.client.query(`SELECT sealed, pending FROM threadline_seal(5000)`);
        sealed += rows[0].sealed;
        if (!rows[0].pending) break;
      }
      if (sealed !== BACKLOG) throw new Error(`${db.name}: sealed ${sealed} of ${BACKLOG}`);
    });
    if (db.name === 'v7') {
      const growMs = await timed(() => db.client.query(`SELECT threadline_tree_grow()`));
      if (!commit) grow.push(growMs / ms);
    }
    await db.client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return ms;
  };
  const pairs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? dbs : [...dbs].reverse();
    for (const db of order) db.write.push(await timed(() => writeBacklog(db.url, BACKLOG)));
    // The same backlog drained TRIALS times in each database, rolled back, alternating which goes first;
    // then drained for good, so the next round seals onto a larger chain and tree.
    for (let trial = 0; trial < TRIALS; trial++) {
      const ms = {};
      for (const db of (round + trial) % 2 === 0 ? dbs : [...dbs].reverse())
        db.seal.push((ms[db.name] = await drain(db, false)));
      pairs.push(ms.v8 / ms.v7);
    }
    for (const db of order) db.drained.push(await drain(db, true));
  }
  const [v7, v8] = dbs;
  const [nodes] = (await v8.client.query(`SELECT count(*)::int AS n FROM audit_seal_tree`)).rows;
  const ratio = (a, b) => median(a.map((x, i) => b[i] / x)).toFixed(2);
  console.log(
    `seal_tree rounds=${ROUNDS} transactions=${BACKLOG} pairs=${pairs.length} v7_ms=${f(median(v7.seal))} v8_ms=${f(median(v8.seal))} ratio=${median(pairs).toFixed(2)} ratio_p25_p75=${pct(pairs, 0.25).toFixed(2)}-${pct(pairs, 0.75).toFixed(2)} drained_ratio=${ratio(v7.drained, v8.drained)} grow_share=${median(grow).toFixed(3)} seals=${ROUNDS * BACKLOG} tree_rows=${nodes.n}`,
  );
  console.log(
    `seal_tree_writes transactions=${BACKLOG} v7_ms=${f(median(v7.write))} v8_ms=${f(median(v8.write))} ratio=${ratio(v7.write, v8.write)}`,
  );
  for (const db of dbs) await db.client.end();
}

/** A tree of `size` seals: a synthetic prefix, then REAL transactions through capture; proofs against it. */
async function proofs(url, size) {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(auditSchemaSql('public').up);
  await capturedTable(client);
  // Seals 1..middle synthetic, then REAL/2 real ones (sealed by threadline_seal(): a leaf deep in the
  // tree, as most are), synthetic up to size - REAL/2, then the last real ones (near the right edge).
  const early = Math.floor(REAL / 2);
  const middle = Math.floor(size / 2) - early;
  let started = Date.now();
  await syntheticSeals(client, 1, middle);
  let insertSeconds = (Date.now() - started) / 1000;
  await writeBacklog(url, early);
  await client.query(`SELECT * FROM threadline_seal(5000)`);
  started = Date.now();
  await syntheticSeals(client, middle + early + 1, size - (REAL - early));
  insertSeconds += (Date.now() - started) / 1000;
  // The tree built once over all of them, from nothing (as the upgrade to v8 does).
  // ANALYZE: an autoanalyze of the table just emptied, run while the build's rows are uncommitted, would
  // record 0 rows on many pages; planned with that, the build's level join is quadratic (a run stalled).
  await client.query(`TRUNCATE audit_seal_tree`);
  await client.query(`ANALYZE audit_seal_tree`);
  started = Date.now();
  const { rows } = await client.query(`SELECT threadline_tree_grow() AS covered`);
  const buildSeconds = (Date.now() - started) / 1000;
  const [tree] = (
    await client.query(
      `SELECT count(*)::int AS n, pg_total_relation_size('audit_seal_tree') AS bytes FROM audit_seal_tree`,
    )
  ).rows;
  console.log(
    `tree_build seals=${size - (REAL - early)} seconds=${buildSeconds.toFixed(1)} insert_seconds=${insertSeconds.toFixed(1)} covered=${rows[0].covered} tree_rows=${tree.n} tree_mb=${(tree.bytes / 2 ** 20).toFixed(0)}`,
  );
  await writeBacklog(url, REAL - early);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'threadline-proof-bench-'));
  const keyFile = path.join(dir, 'key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const app = await boot(url, path.join(dir, 'checkpoints'), keyFile);
  try {
    const checkpoints = app.get(CheckpointService);
    started = Date.now();
    const { checkpoint } = await checkpoints.emit();
    const emitMs = Date.now() - started;
    if (checkpoint.size !== size) throw new Error(`checkpoint of ${checkpoint.size} seals, expected ${size}`);
    console.log(
      `checkpoint seals=${size} ms=${emitMs} (seals the last ${REAL - early} real transactions, then signs the root)`,
    );

    const prover = app.get(ProofService);
    const verifier = await checkpoints.verifier();
    const changesOf = async (where) =>
      (
        await client.query(
          `SELECT c.id::text AS id FROM audit_changes c JOIN audit_seals s ON s.transaction_id = c.transaction_id
           WHERE ${where} ORDER BY random() LIMIT ${Math.ceil(PROOFS / 2)}`,
        )
      ).rows.map((r) => r.id);
    const deep = await proveChanges(prover, verifier, size, 'middle', await changesOf(`s.seq <= ${size / 2}`));
    await proveChanges(prover, verifier, size, 'end', await changesOf(`s.seq > ${size / 2}`));
    const result = { size, bytes: deep.bytes, prove: deep.prove, verify: deep.verify };

    const sealTree = new SealTree(app.get(DataSource), AuditTables.DEFAULT);
    const nodes = [];
    const seals = [];
    const leafMs = [];
    const pathLength = [];
    for (let i = 0; i < LEAVES; i++) {
      const index = Math.floor(Math.random() * size);
      const ids = merkle.nodesRead((node) => merkle.inclusionProof(index, size, node));
      nodes.push(ids.filter((id) => id.level >= 4).length);
      seals.push(ids.filter((id) => id.level < 4).reduce((n, id) => n + 2 ** id.level, 0));
      const t = process.hrtime.bigint();
      pathLength.push((await sealTree.inclusion(index, size)).length);
      leafMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    result.inclusion = median(leafMs);
    result.nodes = median(nodes);
    console.log(
      `inclusion seals=${size} leaves=${LEAVES} path_max=${Math.max(...pathLength)} nodes_read=${f(median(nodes))} seals_read_p50=${f(median(seals))} seals_read_max=${Math.max(...seals)} ms_p50=${ms(median(leafMs))} ms_p95=${ms(pct(leafMs, 0.95))}`,
    );
    return result;
  } finally {
    await app.close();
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Proves each change, times that and verifyProof(); prints the line, returns the medians. */
async function proveChanges(prover, verifier, size, at, changes) {
  const bytes = [];
  const compact = [];
  const paths = [];
  const proveMs = [];
  const verifyMs = [];
  for (const changeId of changes) {
    let t = process.hrtime.bigint();
    const proof = await prover.prove({ changeId });
    proveMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    bytes.push(Buffer.byteLength(`${JSON.stringify(proof, null, 2)}\n`));
    compact.push(Buffer.byteLength(JSON.stringify(proof)));
    paths.push(Buffer.from(proof.inclusion, 'base64').length / 32);
    if (process.env.BENCH_PROOF_SHOW && bytes.length === 1) console.log(JSON.stringify(proof, null, 2));
    t = process.hrtime.bigint();
    const check = verifyProof(proof, verifier);
    verifyMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!check.ok) throw new Error(`proof of change ${changeId} does not hold: ${check.problem}`);
  }
  console.log(
    `proof seals=${size} leaves=${at} proofs=${changes.length} bytes_p50=${f(median(bytes))} bytes_max=${Math.max(...bytes)} compact_bytes_p50=${f(median(compact))} path=${Math.min(...paths)}-${Math.max(...paths)} prove_ms_p50=${ms(median(proveMs))} prove_ms_p95=${ms(pct(proveMs, 0.95))} verify_ms_p50=${ms(median(verifyMs))} verify_ms_max=${ms(Math.max(...verifyMs))}`,
  );
  return { bytes: median(bytes), prove: median(proveMs), verify: median(verifyMs) };
}

function slope(from, to) {
  const growth = Math.log10(to.size / from.size);
  console.log(
    `proof_slope seals=${from.size}->${to.size} bytes_p50=${f(from.bytes)}->${f(to.bytes)} (+${f((to.bytes - from.bytes) / growth)} per 10x)` +
      ` prove_ms_p50=${ms(from.prove)}->${ms(to.prove)} verify_ms_p50=${ms(from.verify)}->${ms(to.verify)}` +
      ` inclusion_ms_p50=${ms(from.inclusion)}->${ms(to.inclusion)} nodes_read=${f(from.nodes)}->${f(to.nodes)}`,
  );
}

/**
 * Seals first..last inserted as the owner, set-based: format 2, 3 changes each, a random-looking content
 * hash and a time-ordered (v7-style) transaction id, 1,000,000 a statement; the sealer goes on after them.
 */
async function syntheticSeals(client, first, last) {
  const step = 1_000_000;
  const [{ horizon }] = (await client.query(`SELECT txid_current() AS horizon`)).rows;
  for (let from = first; from <= last; from += step) {
    const to = Math.min(last, from + step - 1);
    await client.query(
      `INSERT INTO audit_seals (seq, transaction_id, change_count, content_sha256, chain_sha256, horizon, sealed_at, format)
       SELECT g, (lpad(to_hex(1700000000000 + g), 12, '0') || '7' || substr(r, 1, 3) || '8' || substr(r, 4, 15))::uuid,
              3, c, sha256(c), $3, now(), 2
       FROM generate_series($1::bigint, $2::bigint) AS g
         CROSS JOIN LATERAL (SELECT sha256(int8send(g)) AS c) AS h
         CROSS JOIN LATERAL (SELECT encode(sha256(c), 'hex') AS r) AS x`,
      [from, to, horizon],
    );
  }
  await client.query(`ANALYZE audit_seals`);
}

/** bench_writes, captured. */
async function capturedTable(client) {
  await client.query(`CREATE TABLE bench_writes (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`);
  const options = resolveCaptureOptions({});
  const rows = { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
  for (const d of await describeTables(rows, [{ schema: 'public', table: 'bench_writes' }]))
    await client.query(generateTriggerSql(d, tableOptionsFor(options, d.schema, d.table), options).up);
}

async function boot(url, directory, privateKeyFile) {
  class BenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineProofModule.forRoot({
        integrity: { sealEverySeconds: 0, checkpoints: { directory, privateKeyFile } },
      }),
    ],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return app;
}

/** `count` audited transactions of one insert and two updates each, from CLIENTS clients. */
let nextId = 1;
async function writeBacklog(url, count) {
  const per = Math.ceil(count / CLIENTS);
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, w) => {
      const c = new Client({ connectionString: url });
      await c.connect();
      for (let i = 0; i < per && i * CLIENTS + w < count; i++) {
        const id = nextId++;
        await c.query(
          `BEGIN; SELECT set_config('threadline.actor_ref', '{"type":"user","id":"${w}"}', true);
           INSERT INTO bench_writes (id, a, b) VALUES (${id}, 1, 'new');
           UPDATE bench_writes SET a = a + 1 WHERE id = ${id};
           UPDATE bench_writes SET b = b || '.' WHERE id = ${id}; COMMIT`,
        );
      }
      await c.end();
    }),
  );
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (n) => n.toFixed(0);
const ms = (n) => n.toFixed(2);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

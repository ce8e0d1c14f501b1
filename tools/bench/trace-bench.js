#!/usr/bin/env node
// What recording the trace on audit transactions costs (`npm run bench`, issue 31): the same audited TypeORM
// transaction (one insert, inside a request-like context with an actor) timed in three child processes, rounds
// interleaved, on one server:
//   absent  @opentelemetry/api cannot be resolved (as in an app without it: nothing is loaded),
//   api     the API is installed but no SDK is registered (no active span: nothing is set),
//   sdk     an SDK with an active span around each transaction (the traceparent rides with the actor).
// Ratios are against `absent`, medians of the rounds.
require('reflect-metadata');
const { spawnSync } = require('child_process');
const Module = require('module');

const WRITES = 2000;
const ROUNDS = 3;
const MODES = ['absent', 'api', 'sdk'];

async function child(mode, url) {
  if (mode === 'absent') {
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === '@opentelemetry/api' || request.startsWith('@opentelemetry/'))
        throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
  }
  let span = (work) => work();
  if (mode === 'sdk') {
    const { context, trace } = require('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
    const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    const tracer = trace.getTracer('bench');
    span = (work) =>
      tracer.startActiveSpan('request', async (s) => {
        try {
          return await work();
        } finally {
          s.end();
        }
      });
  }
  const { Module: NestModule } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { TypeOrmModule } = require('@nestjs/typeorm');
  const { EntitySchema, DataSource } = require('typeorm');
  const { ActorRef, ThreadlineActorModule, ThreadlineContext } = require('@threadline/actor');
  const { CaptureService, ThreadlineCaptureModule } = require('@threadline/capture');
  const Note = new EntitySchema({
    name: 'Note',
    tableName: 'trace_notes',
    columns: { id: { type: Number, primary: true, generated: true }, text: { type: String } },
  });
  class BenchModule {}
  NestModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url, entities: [Note] }),
      ThreadlineCaptureModule.forRoot({ tables: { trace_notes: {} } }),
      ThreadlineActorModule.forRoot({ mountContext: false }),
    ],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
  const db = app.get(DataSource);
  if (mode === 'setup') {
    const capture = app.get(CaptureService);
    await db.query(`CREATE TABLE trace_notes (id serial PRIMARY KEY, text text NOT NULL)`);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
    await app.close();
    return process.stdout.write('{}');
  }
  const context = app.get(ThreadlineContext);
  const write = (text) =>
    span(() =>
      context.run({ actor: ActorRef.user('1'), correlationId: 'bench' }, () =>
        db.transaction((m) => m.insert(Note, { text })),
      ),
    );
  for (let i = 0; i < 200; i++) await write(`warm ${mode} ${i}`);
  const started = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) await write(`${mode} ${i}`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await app.close();
  process.stdout.write(JSON.stringify({ ms }));
}

async function main() {
  const { startBenchServer } = require('./bench-server');
  const { Client } = require('pg');
  const server = await startBenchServer('threadline_trace_bench');
  const spawnChild = (mode) => {
    const run = spawnSync(process.execPath, [__filename, '--child', mode, server.url], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${mode}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };
  spawnChild('setup');
  const client = new Client({ connectionString: server.url });
  await client.connect();
  const times = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const mode of MODES) times[mode].push(spawnChild(mode).ms);
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const perWrite = (mode) => (median(times[mode]) * 1000) / WRITES;
  const { rows } = await client.query(
    `SELECT count(*) FILTER (WHERE c.data_after->>'text' LIKE 'sdk %' AND t.meta ? 'trace_id')::int AS sdk_traced,
            count(*) FILTER (WHERE c.data_after->>'text' ~ '^(absent|api) ' AND t.meta ? 'trace_id')::int AS others_traced
     FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id`,
  );
  await client.end();
  const [absent, api, sdk] = MODES.map(perWrite);
  console.log(
    `trace_capture writes=${WRITES} rounds=${ROUNDS} absent_us=${absent.toFixed(0)} api_us=${api.toFixed(0)} ` +
      `sdk_us=${sdk.toFixed(0)} no_sdk_ratio=${(api / absent).toFixed(2)} sdk_ratio=${(sdk / absent).toFixed(2)} ` +
      `traced=${rows[0].sdk_traced}/${WRITES * ROUNDS} untraced_modes_traced=${rows[0].others_traced}`,
  );
  await server.stop();
}

const run = process.argv[2] === '--child' ? child(process.argv[3], process.argv[4]) : main();
run.catch((error) => {
  console.error(error);
  process.exit(1);
});

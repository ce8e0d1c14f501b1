#!/usr/bin/env node
// The cost of attributing writes made outside any transaction (`npm run bench`):
// repository.insert / update inside a request-like context, which the
// transaction scope runs in a transaction of its own carrying the actor,
// against the same calls outside any context (auto-commit, no actor) and
// inside an explicit dataSource.transaction per write. Ratios are against the
// auto-commit baseline measured in the same run.
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { EntitySchema, DataSource } = require('typeorm');
const { ActorRef, ThreadlineActorModule, ThreadlineContext } = require('@threadline/actor');
const { CaptureService, ThreadlineCaptureModule } = require('@threadline/capture');
const { startBenchServer } = require('./bench-server');

const WRITES = 2000;
const Note = new EntitySchema({
  name: 'Note',
  tableName: 'notes',
  columns: { id: { type: Number, primary: true, generated: true }, text: { type: String } },
});

async function main() {
  const server = await startBenchServer('threadline_attribution_bench');
  class BenchModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: server.url, entities: [Note] }),
      ThreadlineCaptureModule.forRoot({ tables: { notes: {} } }),
      ThreadlineActorModule.forRoot({ mountContext: false }),
    ],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const db = app.get(DataSource);
  const capture = app.get(CaptureService);
  await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL)`);
  await db.query(capture.installSql().up);
  await db.query((await capture.triggerSql()).up);
  const repo = db.getRepository(Note);
  const context = app.get(ThreadlineContext);
  const inContext = (work) => context.run({ actor: ActorRef.user('1'), correlationId: 'bench' }, work);

  const timed = async (label, write) => {
    for (let i = 0; i < 200; i++) await write(`warm ${label} ${i}`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < WRITES; i++) await write(`${label} ${i}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const autocommit = await timed('autocommit', (text) => repo.insert({ text }));
  const wrapped = await timed('wrapped', (text) => inContext(() => repo.insert({ text })));
  const explicit = await timed('explicit', (text) => inContext(() => db.transaction((m) => m.insert(Note, { text }))));
  const [{ attributed }] = await db.query(
    `SELECT count(*)::int AS attributed FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
     WHERE t.actor_ref IS NOT NULL AND c.data_after->>'text' LIKE 'wrapped %'`,
  );
  const perWrite = (ms) => ((ms * 1000) / WRITES).toFixed(0);
  console.log(
    `attribution_outside_tx writes=${WRITES} autocommit_us=${perWrite(autocommit)} wrapped_us=${perWrite(wrapped)} ` +
      `explicit_tx_us=${perWrite(explicit)} ratio=${(wrapped / autocommit).toFixed(2)} vs_explicit=${(wrapped / explicit).toFixed(2)} ` +
      `attributed=${attributed}/${WRITES}`,
  );
  await app.close();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

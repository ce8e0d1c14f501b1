import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { auditSchemaSql } from '@threadline/capture';
import { ExportService } from '@threadline/export';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { DataSource } from 'typeorm';
import {
  ActionRecorder,
  BaselineService,
  CaptureService,
  CoverageService,
  RetentionService,
  ThreadlineContext,
  ThreadlineModule,
  startThreadlineMetrics,
  THREADLINE_METRICS,
  THREADLINE_SPANS,
  threadlineEvents,
} from '../src';
import { inSpan } from '@threadline/core';

/** Collects on demand: the test reads the metrics after each action. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const reader = new TestReader();
const spans = new InMemorySpanExporter();

type Point = { attributes: Record<string, unknown>; value: unknown };

/** The data points of one metric, by its documented name; the documented unit is checked on the way. */
async function points(key: keyof typeof THREADLINE_METRICS): Promise<Point[]> {
  const { resourceMetrics } = await reader.collect();
  const documented = THREADLINE_METRICS[key];
  const metric = resourceMetrics.scopeMetrics
    .filter((s) => s.scope.name === '@threadline/nestjs')
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === documented.name);
  if (!metric) return [];
  expect(metric.descriptor.unit).toBe(documented.unit);
  return (metric.dataPoints as DataPoint<unknown>[]).map((p) => {
    // every attribute a point carries is a documented one
    for (const name of Object.keys(p.attributes)) expect(documented.attributes).toContain(name);
    return { attributes: p.attributes, value: p.value };
  });
}

const sum = (list: Point[], where: Record<string, unknown> = {}) =>
  list
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);

/** The finished spans of one kind, their attributes checked against the documented list. */
function finished(key: keyof typeof THREADLINE_SPANS) {
  const documented = THREADLINE_SPANS[key];
  return spans
    .getFinishedSpans()
    .filter((s) => s.name === documented.name)
    .map((s) => {
      for (const name of Object.keys(s.attributes)) expect([...documented.attributes, 'error.type']).toContain(name);
      return s;
    });
}

/**
 * Issue 31: Threadline's metrics (THREADLINE_METRICS) reach an OpenTelemetry MeterProvider with their documented
 * names, units and attributes after the action that produces them, and its long work runs in spans
 * (THREADLINE_SPANS) that carry their outcome. A real SDK (in memory), a real PostgreSQL, ThreadlineModule.
 */
describe('OpenTelemetry metrics and spans (real PostgreSQL, SDK in memory)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, label text);
                    CREATE TABLE legacy (id int PRIMARY KEY, secret text);
                    INSERT INTO legacy SELECT g, 'old ' || g FROM generate_series(1, 30) g;
                    CREATE TABLE loose (id int PRIMARY KEY)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineModule.forRoot({
          capture: { tables: { items: {}, legacy: { mask: ['secret'] } } },
          retention: { keepDays: 30, enabled: true, batchSize: 2 },
          health: {},
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['items', 'legacy'] })).up);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('counts audited transactions (attributed or not) and their changes by table', async () => {
    const source = app.get(DataSource);
    await app.get(ThreadlineContext).run({ actor: { type: 'user', id: 'u1' } }, () =>
      source.transaction(async (m) => {
        await m.query(`INSERT INTO items VALUES (1, 'a'), (2, 'b')`);
        await m.query(`UPDATE legacy SET secret = 'new' WHERE id = 1`);
      }),
    );
    await source.transaction((m) => m.query(`INSERT INTO items VALUES (3, 'no actor')`));
    // a transaction that changes nothing audited is not an audited transaction
    await source.transaction((m) => m.query(`SELECT 1`));

    const transactions = await points('transactions');
    expect(sum(transactions, { 'threadline.actor.attributed': true })).toBe(1);
    expect(sum(transactions, { 'threadline.actor.attributed': false })).toBe(1);
    const changes = await points('changes');
    expect(sum(changes, { 'db.collection.name': 'public.items' })).toBe(3);
    expect(sum(changes, { 'db.collection.name': 'public.legacy' })).toBe(1);
  });

  it('a transaction that failed inside and is committed anyway commits (rolls back) as without metrics, uncounted', async () => {
    const source = app.get(DataSource);
    const before = sum(await points('transactions'));
    await source.transaction(async (m) => {
      await m.query(`INSERT INTO items VALUES (10, 'x')`);
      await m.query(`INSERT INTO items VALUES (10, 'duplicate')`).catch(() => undefined); // caught by the app
    });
    expect(sum(await points('transactions'))).toBe(before);
    expect(await db.query(`SELECT count(*)::int AS n FROM items WHERE id = 10`)).toEqual([{ n: 0 }]);
    const [{ open }] = await db.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(open).toBe(0);
  });

  it('counts recorded actions by status', async () => {
    const actions = app.get(ActionRecorder);
    await actions.recordAction('report.sent', { actor: { type: 'user', id: 'u1' } });
    await actions.recordAction('report.failed', { actor: { type: 'user', id: 'u1' }, status: 'error' });
    const recorded = await points('actions');
    expect(sum(recorded, { 'threadline.action.status': 'ok' })).toBe(1);
    expect(sum(recorded, { 'threadline.action.status': 'error' })).toBe(1);
  });

  it('reports coverage by state and runs the check in a span', async () => {
    const report = await app.get(CoverageService).report();
    expect(report.covered).toEqual(['public.items', 'public.legacy']);
    const states = await points('coverage');
    expect(sum(states, { 'threadline.coverage.state': 'covered' })).toBe(2);
    expect(sum(states, { 'threadline.coverage.state': 'uncovered' })).toBe(1); // loose
    expect(sum(states, { 'threadline.coverage.state': 'drifted' })).toBe(0);
    expect(finished('coverage').at(-1)!.attributes).toMatchObject({
      'threadline.coverage.covered': 2,
      'threadline.coverage.uncovered': 1,
      'threadline.coverage.drifted': 0,
      'threadline.coverage.ok': true,
    });
  });

  it('a purge counts its batches, the rows it deleted and its duration, in a span with its row count', async () => {
    await db.query(`UPDATE audit_changes SET captured_at = now() - interval '40 days' WHERE table_name = 'items'`);
    const dryRun = await app.get(RetentionService).purge({ dryRun: true });
    expect(dryRun.status).toBe('completed');
    expect(await points('purgeDuration')).toEqual([]); // a dry run deletes nothing and is not a purge
    // a purge that fails after its first batch (here its caller's progress callback throws) says what it deleted
    const failing = app.get(RetentionService).purge({
      onBatch: () => {
        throw new Error('progress display gone');
      },
    });
    await expect(failing).rejects.toThrow('progress display gone');
    const summary = await app.get(RetentionService).purge();
    // the first transaction keeps its legacy change: only the second is left empty
    expect(summary).toMatchObject({ status: 'completed', deletedChanges: 1, deletedTransactions: 1, batchesRun: 1 });

    expect(sum(await points('purgeBatches'))).toBe(2);
    const deleted = await points('purgeDeleted');
    expect(sum(deleted, { 'threadline.audit.table': 'changes' })).toBe(3);
    expect(sum(deleted, { 'threadline.audit.table': 'transactions' })).toBe(1);
    const durations = await points('purgeDuration');
    expect(sum(durations, { 'threadline.retention.status': 'completed' })).toBe(1);
    expect(sum(durations, { 'threadline.retention.status': 'error', 'error.type': 'Error' })).toBe(1);
    const [dry, failed, purge] = finished('purge');
    expect(dry.attributes).toEqual({
      'threadline.retention.dry_run': true,
      'threadline.retention.status': 'completed',
    });
    expect(failed.attributes).toMatchObject({
      'threadline.retention.status': 'error',
      'error.type': 'Error',
      'threadline.retention.deleted_changes': 2,
      'threadline.retention.batches': 1,
    });
    expect(purge.attributes).toMatchObject({
      'threadline.retention.dry_run': false,
      'threadline.retention.status': 'completed',
      'threadline.retention.deleted_changes': 1,
      'threadline.retention.deleted_transactions': 1,
      'threadline.retention.batches': 1,
      'threadline.retention.max_batches_reached': false,
    });
    expect(purge.status.code).toBe(1); // OK
  });

  it('an export counts its rows and duration by format; one its reader abandons is an ExportAborted', async () => {
    const exports = app.get(ExportService);
    const result = await exports.exportChanges({}, { format: 'ndjson' });
    expect(result.returnedCount).toBeGreaterThan(0);
    expect(sum(await points('exportRows'), { 'threadline.export.format': 'ndjson' })).toBe(result.returnedCount);
    for await (const chunk of exports.chunks({}, { format: 'csv', pageRows: 1 })) {
      expect(chunk).toBeTruthy();
      break; // a client that went away after the header
    }
    const durations = await points('exportDuration');
    expect(sum(durations, { 'threadline.export.format': 'ndjson' })).toBe(1);
    expect(sum(durations, { 'threadline.export.format': 'csv', 'error.type': 'ExportAborted' })).toBe(1);
    await expect(exports.exportChanges({}, { format: 'xml' as never })).rejects.toThrow(/format/);
    expect(sum(await points('exportDuration'), { 'threadline.export.format': 'invalid' })).toBe(1);
    const [whole, abandoned, invalid] = finished('export');
    expect(abandoned.attributes).toMatchObject({ 'threadline.export.format': 'csv', 'error.type': 'ExportAborted' });
    expect(abandoned.status.code).toBe(2); // ERROR
    expect(invalid.attributes).toMatchObject({
      'threadline.export.format': 'invalid',
      'error.type': 'InvalidExportOptionError',
    });
    expect(whole.attributes).toMatchObject({
      'threadline.export.format': 'ndjson',
      'threadline.export.rows': result.returnedCount,
      'threadline.export.truncated': false,
    });
  });

  it('a transaction whose committed-event query fails (a role that cannot read the audit tables) commits all the same', async () => {
    const source = app.get(DataSource);
    const role = `tl_narrow_${process.pid}`;
    await db.query(`CREATE ROLE ${role}; GRANT SELECT, INSERT ON items TO ${role}`);
    try {
      const before = sum(await points('transactions'));
      await app.get(ThreadlineContext).run({ actor: { type: 'user', id: 'u2' } }, () =>
        source.transaction(async (m) => {
          await m.query(`SET LOCAL ROLE ${role}`);
          await m.query(`INSERT INTO items VALUES (20, 'as a narrow role')`);
        }),
      );
      expect(await db.query(`SELECT label FROM items WHERE id = 20`)).toEqual([{ label: 'as a narrow role' }]);
      expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes WHERE table_pk = '{"id": 20}'`)).toEqual([
        { n: 1 },
      ]);
      expect(sum(await points('transactions'))).toBe(before); // the event could not be read: not counted, no harm
    } finally {
      await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('a baseline counts its snapshots by table, in a span with its outcome; no masked value reaches either', async () => {
    const result = await app.get(BaselineService).baseline('legacy', { execute: true, batchSize: 10 });
    expect(result).toMatchObject({ status: 'complete', written: 29, batches: 3 });
    expect(sum(await points('baselineSnapshots'), { 'db.collection.name': 'public.legacy' })).toBe(29);
    const [span] = finished('baseline');
    expect(span.attributes).toMatchObject({
      'db.collection.name': 'public.legacy',
      'threadline.baseline.status': 'complete',
      'threadline.baseline.written': 29,
      'threadline.baseline.batches': 3,
    });
    const everything = JSON.stringify([spans.getFinishedSpans().map((s) => s.attributes), await reader.collect()]);
    expect(everything).not.toMatch(/old \d+|"new"/);
  });

  it('a covered table whose deployed capture drifted is counted drifted, not uncovered', async () => {
    await db.query(`ALTER TABLE legacy RENAME COLUMN secret TO secret_text`);
    const report = await app.get(CoverageService).report();
    expect(report.drift.map((d) => d.table)).toEqual(['public.legacy']);
    const states = await points('coverage');
    expect(sum(states, { 'threadline.coverage.state': 'covered' })).toBe(2);
    expect(sum(states, { 'threadline.coverage.state': 'drifted' })).toBe(1);
    expect(sum(states, { 'threadline.coverage.state': 'uncovered' })).toBe(1);
  });

  it('a second app in the process does not count twice; a malformed event is not fatal', async () => {
    const second = startThreadlineMetrics(); // what another ThreadlineModule in this process does at boot
    try {
      const before = sum(await points('actions'));
      await app.get(ActionRecorder).recordAction('counted.once', { actor: { type: 'user', id: 'u1' } });
      expect(sum(await points('actions'))).toBe(before + 1);
      // another copy of Threadline publishing an older event shape: its subscriber must not throw into the process
      threadlineEvents.transactionCommitted.publish({ auditTransactionId: 'x' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      second();
    }
    // the first app's subscription outlives the second's stop
    const before = sum(await points('actions'));
    await app.get(ActionRecorder).recordAction('still.counted', { actor: { type: 'user', id: 'u1' } });
    expect(sum(await points('actions'))).toBe(before + 1);
  });

  it('a span whose work fails records the error class, never its message (which may quote a value)', async () => {
    await expect(
      inSpan('test.failing', {}, () => Promise.reject(new RangeError('alice-secret is not a valid value'))),
    ).rejects.toThrow(RangeError);
    const [failed] = spans.getFinishedSpans().filter((s) => s.name === 'test.failing');
    expect(failed.attributes).toEqual({ 'error.type': 'RangeError' });
    expect(JSON.stringify([failed.attributes, failed.status, failed.events])).not.toContain('alice-secret');
  });

  it('a coverage check that cannot run (the database is gone) counts a failure with its error type', async () => {
    await db.drop();
    await expect(app.get(CoverageService).report()).rejects.toThrow();
    const failures = await points('healthFailures');
    expect(sum(failures)).toBe(1);
    expect(failures[0].attributes['error.type']).toEqual(expect.any(String));
    expect(finished('coverage').at(-1)!.status.code).toBe(2); // ERROR
  });
});

import { Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  ActorRef,
  InvalidJobPayloadError,
  JobContextPayload,
  ThreadlineActorModule,
  ThreadlineContext,
} from '@threadline/actor';
import { AuditQueryService, ThreadlineQueryModule } from '../src';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');

/** What a traced NestJS app does: each request runs inside a server span (here started by the controller). */
@Controller()
class ItemsController {
  constructor(
    private readonly db: DataSource,
    private readonly threadline: ThreadlineContext,
  ) {}

  @Post('items')
  write() {
    return tracer.startActiveSpan('POST /items', async (span) => {
      try {
        await this.db.query(`INSERT INTO items (label) VALUES ('outside a transaction')`);
        await this.db.transaction((m) => m.query(`INSERT INTO items (label) VALUES ('in a transaction')`));
        const job = await this.threadline.jobPayload();
        return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, job };
      } finally {
        span.end();
      }
    });
  }

  @Post('untraced')
  async untraced() {
    await this.db.query(`INSERT INTO items (label) VALUES ('no span')`);
    return {};
  }
}

/**
 * OpenTelemetry trace links (schema v9): each audit transaction made under an active span records its trace and
 * span ids in `meta`, set with the actor in the same round trip; jobs carry the enqueueing request's; the timeline
 * finds a trace's changes by its id.
 */
describe('trace context on audit transactions (real PostgreSQL, OpenTelemetry SDK in memory)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  const metaOf = (label: string) =>
    db.query(
      `SELECT t.meta FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id WHERE c.data_after->>'label' = $1`,
      [label],
    );

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    db = await createTestDatabase();
    await db.query(`CREATE TABLE items (id serial PRIMARY KEY, label text NOT NULL)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: {} } }),
        ThreadlineActorModule.forRoot({ resolveActor: (req: Request) => ActorRef.parse(req.header('x-actor')!) }),
        ThreadlineQueryModule,
      ],
      controllers: [ItemsController],
    }).compile();
    app = await initOrClose(moduleRef.createNestApplication({ logger: false }));
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    context.disable();
  });

  it("records the request's trace on its transactions, inside one and outside, and the timeline finds them by it", async () => {
    const res = await request(app.getHttpServer()).post('/items').set('x-actor', 'user:7').expect(201);
    const { traceId, spanId } = res.body as { traceId: string; spanId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const label of ['outside a transaction', 'in a transaction'])
      expect(await metaOf(label)).toEqual([{ meta: { trace_id: traceId, span_id: spanId } }]);
    const page = await app.get(AuditQueryService).timeline({ traceId: traceId.toUpperCase() });
    expect(page.changes.map((c) => c.data_after!.label).sort()).toEqual(['in a transaction', 'outside a transaction']);
    expect(page.changes[0].transaction.meta).toEqual({ trace_id: traceId, span_id: spanId });
    expect(page.changes[0].transaction.actor_ref).toEqual({ type: 'user', id: '7' });
    // no span: nothing recorded, the write as before
    await request(app.getHttpServer()).post('/untraced').set('x-actor', 'user:7').expect(201);
    expect(await metaOf('no span')).toEqual([{ meta: null }]);
  });

  it("a job carries the enqueueing request's trace; a payload's bad traceparent is refused, naming the form", async () => {
    const res = await request(app.getHttpServer()).post('/items').set('x-actor', 'user:8').expect(201);
    const { traceId, spanId, job } = res.body as { traceId: string; spanId: string; job: JobContextPayload };
    expect(job.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    const threadline = app.get(ThreadlineContext);
    const data = app.get(DataSource);
    await threadline.runJob(job, () => data.query(`INSERT INTO items (label) VALUES ('by the job')`));
    expect(await metaOf('by the job')).toEqual([{ meta: { trace_id: traceId, span_id: spanId } }]);
    // refused before the job runs, like a payload that is not an object
    for (const traceparent of ['00-' + '0'.repeat(32) + '-' + 'b'.repeat(16) + '-01', 'x', 7])
      expect(() => threadline.runJob({ ...job, traceparent } as JobContextPayload, async () => undefined)).toThrow(
        InvalidJobPayloadError,
      );
    expect(() => threadline.runJob({ ...job, traceparent: 'x' }, async () => undefined)).toThrow(
      "a job payload's traceparent must be a W3C traceparent, 00-<32 hex>-<16 hex>-<2 hex>",
    );
  });

  it("a span context in upper case is stored in the W3C form; a job's trace holds in a nested transaction; null is none", async () => {
    const threadline = app.get(ThreadlineContext);
    const data = app.get(DataSource);
    // another propagator or id generator: the OpenTelemetry API accepts upper-case hex, the audit write must not fail
    const span = trace.wrapSpanContext({ traceId: 'AB'.repeat(16), spanId: 'CD'.repeat(8), traceFlags: 1 });
    await context.with(trace.setSpan(context.active(), span), () =>
      threadline.run({ actor: ActorRef.user('9') }, () => data.query(`INSERT INTO items (label) VALUES ('upper')`)),
    );
    expect(await metaOf('upper')).toEqual([{ meta: { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) } }]);
    const job: JobContextPayload = {
      actor: { type: 'job', id: 'j' },
      traceparent: `00-${'e'.repeat(32)}-${'f'.repeat(16)}-00`,
    };
    await threadline.runJob(job, () =>
      threadline.transaction(ActorRef.system('nested'), (m) => m.query(`INSERT INTO items (label) VALUES ('nested')`)),
    );
    expect(await metaOf('nested')).toEqual([{ meta: { trace_id: 'e'.repeat(32), span_id: 'f'.repeat(16) } }]);
    await threadline.runJob({ ...job, traceparent: null } as unknown as JobContextPayload, () =>
      data.query(`INSERT INTO items (label) VALUES ('null trace')`),
    );
    expect(await metaOf('null trace')).toEqual([{ meta: null }]);
  });

  it('a session that sets a malformed traceparent itself gets an error naming the setting, and writes nothing', async () => {
    for (const bad of [
      '00-' + 'A'.repeat(32) + '-' + 'b'.repeat(16) + '-01',
      `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`,
      "'; DROP TABLE items; --",
    ])
      await expect(
        db.query(
          `BEGIN; SELECT set_config('threadline.traceparent', $$${bad}$$, true); INSERT INTO items (label) VALUES ('hostile'); COMMIT`,
        ),
      ).rejects.toThrow('threadline.traceparent is not a W3C traceparent');
    expect(await metaOf('hostile')).toEqual([]);
  });

  it('refuses a malformed trace id filter, naming the form', async () => {
    const queries = app.get(AuditQueryService);
    for (const traceId of ['abc', '0'.repeat(32), 'g'.repeat(32), 42])
      await expect(queries.timeline({ traceId } as never)).rejects.toThrow(
        'traceId must be a W3C trace id: 32 hex digits, not all zeros',
      );
  });
});

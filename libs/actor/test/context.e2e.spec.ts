import { Body, Controller, Get, INestApplication, Injectable, Logger, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  auditSchemaSql,
  currentAuditTransactionId,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
  ThreadlineCaptureModule,
} from '@threadline/capture';
import { threadlineEvents } from '@threadline/core';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import request from 'supertest';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import {
  ActionRecorder,
  ActorRef,
  InvalidActorError,
  MissingActorError,
  ThreadlineActorModule,
  ThreadlineContext,
  ThreadlineJob,
} from '../src';

@Entity({ name: 'notes' })
class Note {
  @PrimaryGeneratedColumn() id: number;
  @Column() text: string;
}

/** The test app's resolver: `x-actor` header as `type:id`; `x-actor: broken` returns an invalid value. */
function resolveActor(req: Request) {
  const header = req.header('x-actor');
  if (header === 'broken') return { type: 'robot', id: '1' };
  return header ? ActorRef.parse(header) : null;
}

@Controller()
class NotesController {
  constructor(
    private readonly db: DataSource,
    private readonly actions: ActionRecorder,
    private readonly context: ThreadlineContext,
  ) {}

  @Post('notes')
  async create(@Body() body: { text: string; action?: 'before' | 'after' }) {
    return this.db.transaction(async (m) => {
      if (body.action === 'before') await this.actions.recordAction('note.create', { manager: m, verb: 'create' });
      await m.query(`INSERT INTO notes (text) VALUES ($1)`, [body.text]);
      await m.query(`UPDATE notes SET text = text || '!' WHERE text = $1`, [body.text]);
      if (body.action === 'after')
        await this.actions.recordAction('note.create', { manager: m, verb: 'create', reason: 'after' });
      return { tx: await currentAuditTransactionId(m) };
    });
  }

  /** Writes outside any transaction, each in the form apps use: they must carry the actor all the same. */
  @Post('notes/outside')
  async outside(@Body() body: { text: string }) {
    const repo = this.db.getRepository(Note);
    await this.db.query(`INSERT INTO notes (text) VALUES ($1)`, [`${body.text} raw`]);
    await repo.insert({ text: `${body.text} insert` });
    await repo.update({ text: `${body.text} insert` }, { text: `${body.text} updated` });
    await this.db
      .createQueryBuilder()
      .insert()
      .into(Note)
      .values({ text: `${body.text} qb` })
      .execute();
    await this.db.manager.update(Note, { text: `${body.text} qb` }, { text: `${body.text} qb updated` });
    await repo.delete({ text: `${body.text} updated` });
    await this.db
      .createQueryBuilder()
      .delete()
      .from(Note)
      .where('text = :t', { t: `${body.text} qb updated` })
      .execute();
    await this.db.query(`WITH x AS (UPDATE notes SET text = text WHERE text = $1 RETURNING 1) SELECT count(*) FROM x`, [
      `${body.text} raw`,
    ]);
    return { ok: true };
  }

  /** A write outside a transaction that fails: nothing of it may be left, and the connection goes on working. */
  @Post('notes/outside-failing')
  async outsideFailing() {
    await this.db.getRepository(Note).insert({ text: null as never });
  }

  @Post('notes/serializable')
  async serializable(@Body() body: { text: string }) {
    return this.db.transaction('SERIALIZABLE', async (m) => {
      await m.query(`INSERT INTO notes (text) VALUES ($1)`, [body.text]);
      const [{ level }] = await m.query(`SELECT current_setting('transaction_isolation') AS level`);
      return { level, tx: await currentAuditTransactionId(m) };
    });
  }

  /** repository.save() and remove() open their own transactions: no explicit transaction here. */
  @Post('notes/repository')
  async viaRepository(@Body() body: { text: string }) {
    const repo = this.db.getRepository(Note);
    const note = await repo.save(repo.create({ text: body.text }));
    await repo.remove(note);
    return { ok: true };
  }

  @Get('context')
  async ctx() {
    return {
      actor: (await this.context.actor())?.toJSON() ?? null,
      correlationId: this.context.correlationId(),
      ip: this.context.state()?.ip,
    };
  }
}

@Injectable()
class NightlyJob {
  constructor(private readonly db: DataSource) {}

  @ThreadlineJob(ActorRef.system('nightly'))
  async run(text: string) {
    return this.db.transaction((m) => m.query(`INSERT INTO notes (text) VALUES ($1)`, [text]));
  }
}

describe('request and job context (HTTP e2e, real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  const txOf = (id: string) =>
    db.query<{ actor_ref: unknown; correlation_id: string; request_id: string; action_id: string | null }>(
      `SELECT actor_ref, correlation_id, request_id, action_id FROM audit_transactions WHERE id = $1`,
      [id],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    // Every test here runs with the legacy string syntax some servers still have: a literal the
    // transaction scope writes must read back the same either way.
    await db.query(`ALTER DATABASE ${new URL(db.url).pathname.slice(1)} SET standard_conforming_strings = off`);
    await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL)`);
    await db.query(auditSchemaSql('public').up);
    const options = resolveCaptureOptions({});
    const [table] = await describeTables({ query: (sql: string, p?: unknown[]) => db.query(sql, p) }, [
      { schema: 'public', table: 'notes' },
    ]);
    await db.query(generateTriggerSql(table!, tableOptionsFor(options, 'public', 'notes'), options).up);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: [Note] }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineActorModule.forRoot({ resolveActor }),
      ],
      controllers: [NotesController],
      providers: [NightlyJob],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    (app.getHttpAdapter().getInstance() as { set(k: string, v: unknown): void }).set('trust proxy', 'loopback');
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('attributes a request transaction to the resolved actor, with correlation and request ids', async () => {
    const res = await http()
      .post('/notes')
      .set('x-actor', 'user:42')
      .set('x-correlation-id', 'corr-1')
      .set('x-request-id', 'req-1')
      .send({ text: 'a' })
      .expect(201);
    expect(res.headers['x-correlation-id']).toBe('corr-1');
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(await txOf(res.body.tx)).toEqual([
      { actor_ref: { type: 'user', id: '42' }, correlation_id: 'corr-1', request_id: 'req-1', action_id: null },
    ]);
    const changes = await db.query(`SELECT op FROM audit_changes WHERE transaction_id = $1 ORDER BY id`, [res.body.tx]);
    expect(changes).toEqual([{ op: 'insert' }, { op: 'update' }]);
  });

  it.each(['ends in a backslash\\', "quote\\'; SELECT pg_sleep(0); --"])(
    'stores a correlation id with backslashes and quotes exactly (%s), under standard_conforming_strings = off',
    async (correlationId) => {
      const res = await http()
        .post('/notes')
        .set('x-actor', 'user:7')
        .set('x-correlation-id', correlationId)
        .send({ text: 'bs' })
        .expect(201);
      expect((await txOf(res.body.tx))[0].correlation_id).toBe(correlationId);
    },
  );

  it('generates and echoes a correlation id when none is sent', async () => {
    const res = await http().post('/notes').set('x-actor', 'user:1').send({ text: 'b' }).expect(201);
    const generated = res.headers['x-correlation-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect((await txOf(res.body.tx))[0].correlation_id).toBe(generated);
  });

  it('rejects a blank or oversized correlation id with 400 naming the header', async () => {
    const res = await http().post('/notes').set('x-correlation-id', 'x'.repeat(257)).send({ text: 'c' }).expect(400);
    expect(res.body.message).toBe(
      'x-correlation-id must be a non-empty id of at most 256 bytes; omit it to have one generated',
    );
  });

  it('records no actor when the resolver returns null', async () => {
    const res = await http().post('/notes').send({ text: 'anon' }).expect(201);
    expect((await txOf(res.body.tx))[0].actor_ref).toBeNull();
  });

  it('fails a write with a 500 and a logged reason when the resolver returns an invalid actor, writing nothing', async () => {
    const errors: string[] = [];
    const spy = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((message: unknown) => void errors.push(String(message)));
    app.useLogger(new Logger());
    try {
      const before = await db.query(`SELECT count(*)::int AS n FROM notes`);
      await http().post('/notes').set('x-actor', 'broken').send({ text: 'never' }).expect(500);
      expect(await db.query(`SELECT count(*)::int AS n FROM notes`)).toEqual(before);
    } finally {
      spy.mockRestore();
      app.useLogger(false);
    }
    expect(errors.join('\n')).toContain('Invalid actor (unknown_actor_type): type "robot" is not one of');
  });

  it('links an action to its transaction whether recorded before or after the audited writes', async () => {
    for (const when of ['before', 'after'] as const) {
      const res = await http()
        .post('/notes')
        .set('x-actor', 'admin:9')
        .set('x-correlation-id', `act-${when}`)
        .send({ text: when, action: when })
        .expect(201);
      const [tx] = await txOf(res.body.tx);
      const [action] = await db.query(
        `SELECT name, actor_ref, status, verb, correlation_id, request_id FROM audit_actions WHERE id = $1`,
        [tx.action_id],
      );
      expect(action).toEqual({
        name: 'note.create',
        actor_ref: { type: 'admin', id: '9' },
        status: 'ok',
        verb: 'create',
        correlation_id: `act-${when}`,
        request_id: tx.request_id,
      });
    }
  });

  it('honours an isolation level, setting the actor in the same opening round trip', async () => {
    const res = await http().post('/notes/serializable').set('x-actor', 'user:5').send({ text: 's' }).expect(201);
    expect(res.body.level).toBe('serializable');
    expect((await txOf(res.body.tx))[0].actor_ref).toEqual({ type: 'user', id: '5' });
  });

  it('attributes writes made outside any transaction: repository and manager insert / update / delete, QueryBuilder, raw', async () => {
    await http()
      .post('/notes/outside')
      .set('x-actor', 'user:31')
      .set('x-correlation-id', 'outside-1')
      .send({ text: 'o' })
      .expect(201);
    const rows = await db.query<{ op: string; text: string; actor_ref: unknown; correlation_id: string }>(
      `SELECT c.op, coalesce(c.data_after->>'text', '') AS text, t.actor_ref, t.correlation_id
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE t.correlation_id = 'outside-1' OR c.data_after->>'text' LIKE 'o %' ORDER BY c.id`,
    );
    expect(rows.map((r) => [r.op, r.text])).toEqual([
      ['insert', 'o raw'],
      ['insert', 'o insert'],
      ['update', 'o updated'],
      ['insert', 'o qb'],
      ['update', 'o qb updated'],
      ['delete', ''],
      ['delete', ''],
    ]);
    for (const row of rows)
      expect(row).toMatchObject({ actor_ref: { type: 'user', id: '31' }, correlation_id: 'outside-1' });
    // One audit transaction per statement: each ran in a transaction of its own.
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM audit_transactions WHERE correlation_id = 'outside-1'`,
    );
    expect(n).toBe(7);
  });

  it('a failing write outside a transaction leaves nothing and no open transaction behind', async () => {
    await http().post('/notes/outside-failing').set('x-actor', 'user:32').send({}).expect(500);
    // Rolled back: no pooled connection is left inside the failed transaction.
    const [{ aborted }] = await db.query(
      `SELECT count(*)::int AS aborted FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(aborted).toBe(0);
    const res = await http()
      .post('/notes/outside')
      .set('x-actor', 'user:33')
      .set('x-correlation-id', 'after-failure')
      .send({ text: 'p' })
      .expect(201);
    expect(res.body).toEqual({ ok: true });
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM audit_transactions WHERE actor_ref->>'id' = '32'`);
    expect(n).toBe(0);
    const [{ m }] = await db.query(
      `SELECT count(*)::int AS m FROM audit_transactions WHERE correlation_id = 'after-failure'`,
    );
    expect(m).toBe(7);
  });

  it('offers an explicit transaction API, a job payload round trip and a job decorator', async () => {
    const context = app.get(ThreadlineContext);
    const db2 = app.get(DataSource);
    const tx = await context.transaction(ActorRef.serviceAccount('importer'), async (m) => {
      await m.query(`INSERT INTO notes (text) VALUES ('imported')`);
      return currentAuditTransactionId(m);
    });
    expect((await txOf(tx!))[0].actor_ref).toEqual({ type: 'service_account', id: 'importer' });

    const payload = await context.run({ actor: ActorRef.user('77'), correlationId: 'enqueued-by-request' }, () =>
      context.jobPayload('job-1'),
    );
    expect(payload).toEqual({
      actor: { type: 'user', id: '77' },
      correlationId: 'enqueued-by-request',
      jobId: 'job-1',
    });
    const jobTx = await context.runJob(JSON.parse(JSON.stringify(payload)), () =>
      db2.transaction(async (m) => {
        await m.query(`INSERT INTO notes (text) VALUES ('from job')`);
        return currentAuditTransactionId(m);
      }),
    );
    expect((await txOf(jobTx!))[0]).toMatchObject({
      actor_ref: { type: 'user', id: '77' },
      correlation_id: 'enqueued-by-request',
    });

    // a plain { type, id } is an actor too (JavaScript callers); a malformed one fails here, naming the reason,
    // rather than as a TypeError at the first write
    const plain = await context.run({ actor: { type: 'user', id: '78' } }, () =>
      db2.transaction(async (m) => {
        await m.query(`INSERT INTO notes (text) VALUES ('plain actor')`);
        return currentAuditTransactionId(m);
      }),
    );
    expect((await txOf(plain!))[0].actor_ref).toEqual({ type: 'user', id: '78' });
    await expect(context.run({ actor: { type: 'wizard', id: '1' } }, () => Promise.resolve())).rejects.toThrow(
      InvalidActorError,
    );

    await app.get(NightlyJob).run('nightly note');
    const [row] = await db.query(
      `SELECT t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id WHERE c.data_after->>'text' = 'nightly note'`,
    );
    expect(row.actor_ref).toEqual({ type: 'system', id: 'nightly' });
  });

  it('recordAction without any actor fails with MissingActorError; an invalid one with its reason', async () => {
    const actions = app.get(ActionRecorder);
    await expect(actions.recordAction('x')).rejects.toThrow(MissingActorError);
    await expect(actions.recordAction('x', { actor: { type: 'user' } })).rejects.toThrow(
      'Invalid actor (missing_actor_id)',
    );
    await expect(actions.recordAction('x', { actor: ActorRef.user('1'), status: 'maybe' as never })).rejects.toThrow(
      "status must be 'ok' or 'error'",
    );
    const recorded = await actions.recordAction('standalone', { actor: ActorRef.user('1'), status: 'error' });
    expect(recorded.linked).toBe(false);
  });

  it('covers the implicit transactions of repository.save() and remove()', async () => {
    await http().post('/notes/repository').set('x-actor', 'user:88').send({ text: 'saved then removed' }).expect(201);
    const rows = await db.query(
      `SELECT c.op, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.table_name = 'notes' AND (c.data_after->>'text' = 'saved then removed' OR (c.op = 'delete' AND t.actor_ref->>'id' = '88')) ORDER BY c.id`,
    );
    expect(rows).toEqual([
      { op: 'insert', actor_ref: { type: 'user', id: '88' } },
      { op: 'delete', actor_ref: { type: 'user', id: '88' } },
    ]);
  });

  it("reports the client IP as Express does, honouring the app's trust proxy setting", async () => {
    const res = await http().get('/context').set('x-actor', 'user:3').set('x-forwarded-for', '203.0.113.9').expect(200);
    expect(res.body).toEqual({
      actor: { type: 'user', id: '3' },
      correlationId: expect.any(String),
      ip: '203.0.113.9',
    });
  });

  it('publishes the action-recorded event with its status', async () => {
    const events: unknown[] = [];
    const listener = (e: unknown) => events.push(e);
    threadlineEvents.actionRecorded.subscribe(listener);
    try {
      const recorded = await app
        .get(ActionRecorder)
        .recordAction('import.failed', { actor: ActorRef.job('import-7'), status: 'error', reason: 'bad file' });
      expect(events).toEqual([
        { actionId: recorded.id, name: 'import.failed', status: 'error', linkedTransaction: false },
      ]);
    } finally {
      threadlineEvents.actionRecorded.unsubscribe(listener);
    }
  });

  it('publishes transaction-committed with the audit transaction and its table count, only while subscribed', async () => {
    const events: unknown[] = [];
    const listener = (e: unknown) => events.push(e);
    threadlineEvents.transactionCommitted.subscribe(listener);
    let tx: string;
    try {
      tx = (await http().post('/notes').set('x-actor', 'user:1').send({ text: 'committed' }).expect(201)).body.tx;
      await app.get(DataSource).transaction((m) => m.query('SELECT 1')); // no audited change: no event
    } finally {
      threadlineEvents.transactionCommitted.unsubscribe(listener);
    }
    expect(events).toEqual([
      { auditTransactionId: tx, tableCount: 1, attributed: true, changes: [{ table: 'public.notes', count: 2 }] }, // its insert and update
    ]);
  });
});

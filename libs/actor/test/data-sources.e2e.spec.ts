import { Controller, INestApplication, LoggerService, Post, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import request from 'supertest';
import { DataSource, EntitySchema } from 'typeorm';
import { ActorOptions, ActorRef, ThreadlineActorModule } from '../src';

const Note = new EntitySchema<{ id: number; text: string }>({
  name: 'Note',
  tableName: 'notes',
  columns: { id: { type: Number, primary: true, generated: true }, text: { type: String } },
});

/** Writes outside any transaction, through each of the app's DataSources. */
@Controller('notes')
class NotesController {
  constructor(
    private readonly main: DataSource,
    @InjectDataSource('reporting') private readonly reporting: DataSource,
    @InjectDataSource('legacy') private readonly legacy: DataSource,
  ) {}

  @Post()
  async write(@Req() req: Request) {
    const via = { main: this.main, reporting: this.reporting, legacy: this.legacy }[String(req.query.via)]!;
    await via.getRepository(Note).insert({ text: String(req.query.via) });
    await via.getRepository(Note).delete({ text: String(req.query.via) });
    return { ok: true };
  }
}

class Recorder implements LoggerService {
  readonly warnings: string[] = [];
  log() {}
  error() {}
  warn(message: unknown) {
    // an app's own logger gets Threadline's lines as records: { msg, event, ...fields }
    this.warnings.push(typeof message === 'string' ? message : (message as { msg: string }).msg);
  }
}

describe('apps with several TypeORM DataSources', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, text text)`);
  });
  afterAll(() => db.drop());

  // `connect: false` for boots meant to fail: Nest does not close a pool when init throws.
  async function boot(actor: ActorOptions, logger = new Recorder(), connect = true): Promise<INestApplication> {
    const source = (name?: string) =>
      TypeOrmModule.forRoot({
        name,
        type: 'postgres',
        url: db.url,
        entities: [Note],
        retryAttempts: 0,
        manualInitialization: !connect,
      });
    const moduleRef = await Test.createTestingModule({
      imports: [
        source(),
        source('reporting'),
        source('legacy'),
        ThreadlineCaptureModule.forRoot({ tables: { notes: {} } }),
        ThreadlineActorModule.forRoot({ resolveActor: (req) => ActorRef.parse(req.header('x-actor')!), ...actor }),
      ],
      controllers: [NotesController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    return app;
  }

  it('attributes writes through every DataSource in actor.dataSources, and names the ones left out once at boot', async () => {
    const logger = new Recorder();
    const app = await boot({ dataSources: ['reporting'] }, logger);
    try {
      await db.query((await app.get(CaptureService).triggerSql()).up);
      for (const via of ['main', 'reporting', 'legacy'])
        await request(app.getHttpServer()).post(`/notes?via=${via}`).set('x-actor', 'user:u1').expect(201);
      const rows = await db.query<{ op: string; text: string | null; actor: string | null }>(
        `SELECT c.op, c.data_after->>'text' AS text, t.actor_ref->>'id' AS actor
         FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id ORDER BY c.id`,
      );
      expect(rows).toEqual([
        { op: 'insert', text: 'main', actor: 'u1' },
        { op: 'delete', text: null, actor: 'u1' },
        { op: 'insert', text: 'reporting', actor: 'u1' },
        { op: 'delete', text: null, actor: 'u1' },
        { op: 'insert', text: 'legacy', actor: null },
        { op: 'delete', text: null, actor: null },
      ]);
      expect(logger.warnings.filter((w) => w.includes('DataSource'))).toEqual([
        'TypeORM DataSource "legacy" is not attributed: writes through it to audited tables are stored with no actor. ' +
          'If it writes audited tables, list it in actor.dataSources.',
      ]);
    } finally {
      await app.close();
    }
  });

  it('refuses to boot when actor.dataSources names a DataSource the app does not have', async () => {
    await expect(boot({ dataSources: ['reportng'] }, new Recorder(), false)).rejects.toThrow(
      'actor.dataSources names "reportng", but the app has no TypeORM DataSource of that name',
    );
  });

  it.each([['reporting'], [['']], [[42]]])('refuses actor.dataSources %j, saying what it must be', async (value) => {
    await expect(boot({ dataSources: value as never }, new Recorder(), false)).rejects.toThrow(
      'actor.dataSources must be a list of TypeORM DataSource names',
    );
  });
});

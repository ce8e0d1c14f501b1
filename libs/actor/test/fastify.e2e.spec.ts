import { CanActivate, Controller, ExecutionContext, Injectable, Post, UseGuards } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { DataSource } from 'typeorm';
import { ActorRef, ThreadlineActorModule } from '../src';

interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: { id: string };
}

/** Authenticates as Passport's guards do: sets `user` on the platform's request object (Fastify's, not Node's). */
@Injectable()
class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const user = req.headers['x-user'];
    if (typeof user === 'string') req.user = { id: user };
    return true;
  }
}

@Controller('notes')
@UseGuards(HeaderAuthGuard)
class NotesController {
  constructor(private readonly db: DataSource) {}

  @Post()
  async create() {
    await this.db.query(`INSERT INTO notes (text) VALUES ('outside')`);
    await this.db.transaction((m) => m.query(`INSERT INTO notes (text) VALUES ('inside')`));
    return { ok: true };
  }
}

describe('a Fastify app', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, text text)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { notes: {} } }),
        ThreadlineActorModule.forRoot({
          resolveActor: (req) => {
            const user = (req as unknown as AuthedRequest).user;
            return user ? ActorRef.user(user.id) : null;
          },
        }),
      ],
      controllers: [NotesController],
      providers: [HeaderAuthGuard],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await db.query((await app.get(CaptureService).triggerSql()).up);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('attributes every write of a request to the user its guard authenticated', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/notes',
      headers: { 'x-user': 'u1', 'x-correlation-id': 'c-1' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-correlation-id']).toBe('c-1');
    const rows = await db.query(
      `SELECT t.actor_ref, t.correlation_id FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id`,
    );
    expect(rows).toEqual([
      { actor_ref: { type: 'user', id: 'u1' }, correlation_id: 'c-1' },
      { actor_ref: { type: 'user', id: 'u1' }, correlation_id: 'c-1' },
    ]);
  });
});

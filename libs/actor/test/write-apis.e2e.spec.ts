import { Body, Controller, INestApplication, Injectable, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsPluginTransactional, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import type { Request } from 'express';
import { ClsModule } from 'nestjs-cls';
import request from 'supertest';
import { Column, DataSource, DeleteDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { ActorRef, ThreadlineActorModule } from '../src';
import { CaptureService } from '@threadline/capture';

@Entity({ name: 'items' })
class Item {
  @PrimaryColumn() id: number;
  @Column() label: string;
  @DeleteDateColumn({ name: 'deleted_at', nullable: true }) deletedAt: Date | null;
}

/** Writes through the TypeORM APIs the actor bridge must cover, none of them inside an explicit transaction. */
@Injectable()
class ItemsService {
  constructor(
    private readonly db: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  async upsertSoftDeleteRestore(id: number): Promise<void> {
    const repo = this.db.getRepository(Item);
    await repo.upsert({ id, label: 'upserted' }, ['id']); // insert
    await repo.upsert({ id, label: 'upserted again' }, ['id']); // ON CONFLICT DO UPDATE
    await repo.softDelete({ id });
    await repo.restore({ id });
    await this.db.manager.softDelete(Item, { id });
    await this.db.manager.restore(Item, { id });
    await this.db.manager.upsert(Item, { id, label: 'manager upsert' }, ['id']);
  }

  /** @nestjs-cls/transactional: one transaction around both writes, opened by the plugin. */
  @Transactional()
  async transactional(id: number): Promise<void> {
    await this.txHost.tx.getRepository(Item).insert({ id, label: 'transactional' });
    await this.txHost.tx.getRepository(Item).update({ id }, { label: 'transactional, updated' });
  }

  async withTransaction(id: number): Promise<void> {
    await this.txHost.withTransaction(async () => {
      await this.txHost.tx.query(`INSERT INTO items (id, label) VALUES ($1, 'withTransaction')`, [id]);
    });
  }
}

@Controller('items')
class ItemsController {
  constructor(private readonly items: ItemsService) {}
  @Post('apis')
  async apis(@Body() body: { id: number }) {
    await this.items.upsertSoftDeleteRestore(body.id);
    return { ok: true };
  }
  @Post('transactional')
  async transactional(@Body() body: { id: number }) {
    await this.items.transactional(body.id);
    await this.items.withTransaction(body.id + 1);
    return { ok: true };
  }
}

describe('every TypeORM write API carries the actor: upsert, softDelete, restore, @nestjs-cls/transactional (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  const changesOf = (correlationId: string) =>
    db.query<{ tx: string; op: string; label: string | null; deleted: boolean; actor_ref: unknown }>(
      `SELECT c.transaction_id AS tx, c.op, c.data_after->>'label' AS label,
              (c.data_after->>'deleted_at') IS NOT NULL AS deleted, t.actor_ref
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE t.correlation_id = $1 ORDER BY c.id`,
      [correlationId],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, deleted_at timestamptz)`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: [Item] }),
        ThreadlineCaptureModule.forRoot({ tables: { items: {} } }),
        ThreadlineActorModule.forRoot({
          resolveActor: (req: Request) => (req.header('x-actor') ? ActorRef.parse(req.header('x-actor')!) : null),
        }),
        ClsModule.registerPlugins([
          new ClsPluginTransactional({
            imports: [TypeOrmModule.forFeature([Item])],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }),
          }),
        ]),
      ],
      controllers: [ItemsController],
      providers: [ItemsService],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('repository and manager upsert, softDelete and restore outside a transaction are each attributed', async () => {
    await request(app.getHttpServer())
      .post('/items/apis')
      .set('x-actor', 'user:41')
      .set('x-correlation-id', 'apis-1')
      .send({ id: 1 })
      .expect(201);
    const rows = await changesOf('apis-1');
    expect(rows.map((r) => [r.op, r.label, r.deleted])).toEqual([
      ['insert', 'upserted', false],
      ['update', 'upserted again', false],
      ['update', 'upserted again', true], // softDelete
      ['update', 'upserted again', false], // restore
      ['update', 'upserted again', true],
      ['update', 'upserted again', false],
      ['update', 'manager upsert', false],
    ]);
    for (const row of rows) expect(row.actor_ref).toEqual({ type: 'user', id: '41' });
    expect(new Set(rows.map((r) => r.tx)).size).toBe(7); // each statement its own transaction
  });

  it("@Transactional() and TransactionHost.withTransaction: the plugin's transactions carry the actor", async () => {
    await request(app.getHttpServer())
      .post('/items/transactional')
      .set('x-actor', 'user:42')
      .set('x-correlation-id', 'cls-tx-1')
      .send({ id: 10 })
      .expect(201);
    const rows = await changesOf('cls-tx-1');
    expect(rows.map((r) => [r.op, r.label])).toEqual([
      ['insert', 'transactional'],
      ['update', 'transactional, updated'],
      ['insert', 'withTransaction'],
    ]);
    for (const row of rows) expect(row.actor_ref).toEqual({ type: 'user', id: '42' });
    expect(rows[0].tx).toBe(rows[1].tx); // @Transactional(): one audit transaction for both writes
    expect(rows[2].tx).not.toBe(rows[0].tx);
  });

  it('no unattributed audit transaction was written by any of it', async () => {
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_transactions WHERE actor_ref IS NULL`,
    );
    expect(n).toBe(0);
  });
});

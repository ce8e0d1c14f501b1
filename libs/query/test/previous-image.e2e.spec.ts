import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { AuditQueryService, changeDiff, ThreadlineQueryModule } from '../src';

/** "Before" without changed_from: the row's previous captured image is in the log. */
describe('before values from the previous captured image (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let queries: AuditQueryService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, v text, secret text)`);
    await db.query(`INSERT INTO items VALUES (9, 'before capture', 's')`);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { items: { mask: ['secret'] } } }),
        ThreadlineQueryModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await db.query((await app.get(CaptureService).triggerSql()).up);
    queries = app.get(AuditQueryService);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('pairs each update and delete with the image before it, across a key change, never unmasked', async () => {
    await db.query(`INSERT INTO items VALUES (1, 'a', 'hidden')`);
    await db.query(`UPDATE items SET v = 'b' WHERE id = 1`);
    await db.query(`UPDATE items SET id = 5, secret = 'hidden too' WHERE id = 1`);
    await db.query(`DELETE FROM items WHERE id = 5`);
    await db.query(`UPDATE items SET v = 'touched' WHERE id = 9`);
    const changes = (await queries.timeline({ table: 'items' })).changes.reverse();
    const previous = await queries.previousImages(changes);
    const [, update, keyChange, deletion, untracked] = changes;
    expect(previous.get(update.id)).toEqual({ id: 1, v: 'a', secret: '[REDACTED]' });
    expect(previous.get(keyChange.id)).toEqual({ id: 1, v: 'b', secret: '[REDACTED]' });
    expect(previous.get(deletion.id)).toEqual({ id: 5, v: 'b', secret: '[REDACTED]' });
    expect(previous.get(untracked.id)).toBeNull(); // the row predates capture: nothing to show

    expect(changeDiff(update, previous.get(update.id)).fields).toEqual({
      v: { before: 'a', after: 'b', before_from_previous_image: true },
    });
    expect(changeDiff(keyChange, previous.get(keyChange.id)).fields).toMatchObject({
      id: { before: 1, after: 5, before_from_previous_image: true },
    });
    expect(changeDiff(deletion, previous.get(deletion.id)).fields).toEqual({
      id: { before: 5, before_from_previous_image: true },
      secret: { before: '[REDACTED]', before_from_previous_image: true },
      v: { before: 'b', before_from_previous_image: true },
    });
    expect(changeDiff(untracked, previous.get(untracked.id)).fields).toEqual({
      v: { before_omitted: true, after: 'touched' },
    });
    expect(JSON.stringify([...previous.values()])).not.toContain('hidden');
  });
});

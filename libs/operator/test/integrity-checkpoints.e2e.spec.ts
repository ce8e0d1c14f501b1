import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActorRef, ThreadlineActorModule, ThreadlineContext } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineHealthModule } from '@threadline/health';
import { CheckpointService, ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import { ThreadlineExportModule } from '@threadline/export';
import type { Request } from 'express';
import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import request from 'supertest';
import { ThreadlineOperatorModule } from '../src';

describe('the Integrity page and signed checkpoints kept outside the database (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'operator-checkpoints-'));
    await db.query(`CREATE TABLE people (id int PRIMARY KEY, name text)`);
    const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({ tables: { people: {} } }),
        ThreadlineActorModule.forRoot({}),
        ThreadlineProofModule.forRoot({
          integrity: { sealEverySeconds: 0, checkpoints: { directory: dir, privateKey } },
        }),
        ThreadlineHealthModule.forRoot({}),
        ThreadlineExportModule,
        ThreadlineOperatorModule.forRoot({ authorize: (req: Request) => req.header('x-role') === 'auditor' }),
      ],
    }).compile();
    app = await initOrClose(moduleRef.createNestApplication({ logger: false }));
    const capture = app.get(CaptureService);
    await db.query(capture.installSql().up);
    await db.query((await capture.triggerSql()).up);
    for (let i = 1; i <= 3; i++)
      await app
        .get(ThreadlineContext)
        .transaction(ActorRef.user('1'), (m) => m.query(`INSERT INTO people VALUES ($1, 'p')`, [i]));
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async () =>
    (await request(app.getHttpServer()).get('/audit/integrity').set('x-role', 'auditor').set('accept', 'text/html'))
      .text;

  it('says checkpoints are none yet, then names the last one kept and its age, and checks the chain against it', async () => {
    expect(await page()).toContain('<dt>Checkpoints</dt><dd>none kept yet</dd>');
    await app.get(CheckpointService).emit();
    const html = await page();
    expect(html).toMatch(
      /the last covers 3 seals, signed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ s ago\), kept in <code>[^<]+000000000003\.checkpoint<\/code>/,
    );
    expect(html).toContain('against 1 signed checkpoint(s) kept outside the database');
    const json = (await request(app.getHttpServer()).get('/audit/integrity').set('x-role', 'auditor').expect(200)).body;
    expect(json).toMatchObject({ ok: true, checkpointsChecked: 1, kept: { latest: { size: 3 } } });
  });

  it('turns red on a file in the directory the log did not sign, naming it', async () => {
    writeFileSync(join(dir, '000000000009.checkpoint'), 'threadline/x\n9\nAAAA\n\n\u2014 threadline/x AAAA\n');
    const html = await page();
    expect(html).toMatch(
      /class="banner error" role="alert">[^<]*000000000009\.checkpoint is not a checkpoint signed by that key/,
    );
    rmSync(join(dir, '000000000009.checkpoint'));
  });

  it('turns red when a sealed change is rewritten after the checkpoint', async () => {
    await db.query(
      `UPDATE audit_changes SET data_after = '{"id": 1, "name": "forged"}' WHERE id = (SELECT min(id) FROM audit_changes)`,
    );
    const html = await page();
    expect(html).toMatch(/class="banner error" role="alert">\d+ problem\(s\)/);
  });
});

import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { CheckpointService, SignedCheckpoint, ThreadlineProofModule } from '@threadline/proof';
import { generateKeyPairSync } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { writeAuditedPosts as write } from '@threadline/testing/audited-posts';
import { Client } from 'pg';
import { HealthOptions, healthOptionsProblems, ThreadlineCoverageIndicator, ThreadlineHealthModule } from '../src';

/** The hash chain as health sees it: the Terminus indicator's check and its options. */
describe('tamper evidence in health: the Terminus indicator (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication | undefined;

  /** As ThreadlineModule registers them: health.integrity goes to the proof module too. */
  async function boot(health: HealthOptions = {}): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineProofModule.forRoot({ integrity: health.integrity }),
        ThreadlineHealthModule.forRoot(health),
      ],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    return created;
  }

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE posts (id serial PRIMARY KEY, title text)`);
    app = await boot();
    await db.query((await app.get(CaptureService).triggerSql({ tables: ['posts'] })).up);
    await write(db.url, 5);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  const sealedTransaction = async (seq: number) =>
    (await db.query<{ id: string }>(`SELECT transaction_id AS id FROM audit_seals WHERE seq = ${seq}`))[0].id;

  it('is an option of the Terminus indicator: down naming the first problem once a sealed record is altered', async () => {
    await app!.close();
    app = await boot({ integrity: { checkEverySeconds: 0, sealEverySeconds: 0 } });
    const indicator = app.get(ThreadlineCoverageIndicator);
    const healthy = await indicator.isHealthy();
    expect(healthy.threadline_coverage).toMatchObject({ status: 'up', integrity: { ok: true, checked: 5 } });
    const tx = await sealedTransaction(2);
    await db.query(`UPDATE audit_transactions SET correlation_id = 'rewritten' WHERE id = '${tx}'`);
    const down = await indicator.isHealthy();
    expect(down.threadline_coverage).toMatchObject({
      status: 'down',
      integrity: { ok: false, problemCount: 1, firstProblem: expect.stringContaining(`transaction ${tx} (seal #2)`) },
    });
  });

  it('with fullEverySeconds, checks in between start from the head the last passing one saw, and catch a re-chained log', async () => {
    await app!.close();
    app = await boot({ integrity: { checkEverySeconds: 0, sealEverySeconds: 0, fullEverySeconds: 3600 } });
    const indicator = app.get(ThreadlineCoverageIndicator);
    expect((await indicator.isHealthy()).threadline_coverage).toMatchObject({
      status: 'up',
      integrity: { ok: true, checked: 5 },
    });
    await write(db.url, 2, 'later');
    expect((await indicator.isHealthy()).threadline_coverage).toMatchObject({
      status: 'up',
      integrity: { ok: true, checked: 3 },
    });
    // the owner rewrites seal #2's transaction and seals everything again: consistent with itself, not with the kept head
    await db.query(`UPDATE audit_transactions SET correlation_id = 'rewritten'
                    WHERE id = (SELECT transaction_id FROM audit_seals WHERE seq = 2)`);
    await db.query(`DELETE FROM audit_seals; SELECT threadline_seal()`);
    const down = await indicator.isHealthy();
    expect(down.threadline_coverage).toMatchObject({
      status: 'down',
      integrity: { ok: false, firstProblem: expect.stringContaining('no longer has the chain hash you kept') },
    });
    // and when the next full check comes round, it is held to the same head: still down
    (indicator as unknown as { passed: { fullAt: number } }).passed.fullAt = 0;
    const full = await indicator.isHealthy();
    expect(full.threadline_coverage).toMatchObject({
      status: 'down',
      integrity: {
        ok: false,
        checked: 7,
        firstProblem: expect.stringContaining('no longer has the chain hash you kept'),
      },
    });
  });

  it('answers /health within waitSeconds while the sealer is held, then reports it down', async () => {
    await app!.close();
    app = await boot({ integrity: { checkEverySeconds: 0, sealEverySeconds: 0, waitSeconds: 1 } });
    const indicator = app.get(ThreadlineCoverageIndicator);
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`BEGIN; SELECT * FROM threadline_seal(1)`);
      let started = Date.now();
      const first = await indicator.isHealthy();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(first.threadline_coverage).toMatchObject({ status: 'up', integrity: { ok: null } });
      let answer = first;
      for (let i = 0; i < 20 && answer.threadline_coverage.status === 'up'; i++) {
        started = Date.now();
        answer = await indicator.isHealthy();
        expect(Date.now() - started).toBeLessThan(3000);
      }
      expect(answer.threadline_coverage).toMatchObject({
        status: 'down',
        integrity: { ok: false, firstProblem: expect.stringContaining('the sealer is busy: held by pid') },
      });
      await holder.query('ROLLBACK');
      for (let i = 0; i < 10 && answer.threadline_coverage.status === 'down'; i++) answer = await indicator.isHealthy();
      expect(answer.threadline_coverage).toMatchObject({ status: 'up', integrity: { ok: true, checked: 5 } });
    } finally {
      await holder.end();
    }
  }, 40_000);

  it('turns down while the background sealer cannot seal, though the last chain check passed, and up once it seals again', async () => {
    await app!.close();
    app = await boot({ integrity: { checkEverySeconds: 3600, sealEverySeconds: 1 } });
    const indicator = app.get(ThreadlineCoverageIndicator);
    expect((await indicator.isHealthy()).threadline_coverage).toMatchObject({ status: 'up', integrity: { ok: true } });
    // another session (here the app's own role could do the same) holds the sealer in an open transaction
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`BEGIN; SELECT * FROM threadline_seal(1)`);
      await write(db.url, 2, 'held');
      let answer = await indicator.isHealthy();
      for (let i = 0; i < 30 && answer.threadline_coverage.status === 'up'; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        answer = await indicator.isHealthy();
      }
      expect(answer.threadline_coverage).toMatchObject({
        status: 'down',
        integrity: { ok: true },
        sealing: {
          failing: { message: expect.stringContaining('the sealer is busy: held by pid'), since: expect.any(String) },
        },
      });
      await holder.query('ROLLBACK');
      for (let i = 0; i < 30 && answer.threadline_coverage.status === 'down'; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        answer = await indicator.isHealthy();
      }
      expect(answer.threadline_coverage).toMatchObject({ status: 'up' });
      expect(answer.threadline_coverage).not.toHaveProperty('sealing');
    } finally {
      await holder.end();
    }
  }, 90_000);

  it('refuses integrity options that are not whole seconds, naming each', () => {
    expect(
      healthOptionsProblems({ integrity: { sealEverySeconds: -1, checkEverySeconds: 1.5 } } as HealthOptions),
    ).toEqual([
      'health.integrity.sealEverySeconds must be a whole number of seconds from 0 to 86400 (got -1)',
      'health.integrity.checkEverySeconds must be a whole number of seconds from 0 to 86400 (got 1.5)',
    ]);
    expect(healthOptionsProblems({ integrity: { every: 5 } } as HealthOptions)).toEqual([
      'health.integrity.every is not a known option (allowed: sealEverySeconds, checkEverySeconds, waitSeconds, fullEverySeconds, checkpoints)',
    ]);
  });
  it('turns down while a checkpoint sink fails, names it, and comes back up once one is kept', async () => {
    await app!.close();
    let failing = true;
    const kept: SignedCheckpoint[] = [];
    const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sink = (c: SignedCheckpoint) => {
      if (failing) throw new Error('the witness is unreachable');
      kept.push(c);
    };
    app = await boot({ integrity: { sealEverySeconds: 0, checkpoints: { privateKey, sink } } });
    const indicator = app.get(ThreadlineCoverageIndicator);
    expect((await indicator.isHealthy()).threadline_coverage.status).toBe('up');
    await app.get(CheckpointService).tick();
    const down = await indicator.isHealthy();
    expect(down.threadline_coverage).toMatchObject({
      status: 'down',
      checkpoints: { failing: { message: 'the witness is unreachable' } },
    });
    failing = false;
    await app.get(CheckpointService).tick();
    expect((await indicator.isHealthy()).threadline_coverage).toMatchObject({
      status: 'up',
      checkpoints: { failing: null, last: { size: 5 } },
    });
    expect(kept.map((c) => c.size)).toEqual([5]);
  });
});

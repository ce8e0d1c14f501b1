import { Logger } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { RETENTION_JOB_NAME, RetentionScheduler, ThreadlineRetentionModule } from '../src';

describe('scheduled purges', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
  });
  afterAll(() => db.drop());

  const seedOld = () =>
    db.query(
      `WITH t AS (INSERT INTO audit_transactions (txid) VALUES (1) RETURNING id)
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, captured_at)
       SELECT id, 'public', 'items', 'insert', '{}', now() - interval '100 days' FROM t`,
    );

  it('registers the cron job by name, purges on its ticks, never overlaps runs, and stops on shutdown', async () => {
    const warnings: unknown[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void warnings.push(m));
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url }),
        ScheduleModule.forRoot(),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineRetentionModule.forRoot({ keepDays: 90, enabled: true, schedule: '* * * * * *' }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const job = app.get(SchedulerRegistry).getCronJob(RETENTION_JOB_NAME);
    try {
      expect(job.isActive).toBe(true);
      await seedOld();
      // the every-second schedule purges the old change within a few ticks
      for (
        let i = 0;
        i < 50 && Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_changes`))[0].n) > 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await db.query(`SELECT count(*)::int AS n FROM audit_changes`)).toEqual([{ n: 0 }]);
      const scheduler = app.get(RetentionScheduler);
      await Promise.all([scheduler.tick(), scheduler.tick()]);
      expect(warnings).toContainEqual({
        msg: 'threadline retention purge skipped: the previous scheduled run is still going',
        event: 'retention:tick_skipped',
      });
    } finally {
      await app.close();
      spy.mockRestore();
    }
    expect(job.isActive).toBe(false);
  });
});

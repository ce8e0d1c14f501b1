import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import {
  CaptureService,
  THREADLINE_CAPTURE_OPTIONS,
  THREADLINE_OPERATOR_OPTIONS,
  THREADLINE_RETENTION_POLICY,
  ThreadlineModule,
  ThreadlineModuleOptions,
} from '../src';

const OPTIONS: ThreadlineModuleOptions = {
  capture: { tables: { users: { mask: ['email'] } } },
  retention: { keepDays: 90, enabled: true },
  operator: { path: '/ops', authorize: () => true },
};

@Injectable()
class ConfigService {
  get(): ThreadlineModuleOptions {
    return OPTIONS;
  }
  createThreadlineOptions(): ThreadlineModuleOptions {
    return OPTIONS;
  }
}
@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

/** An app provider elsewhere in the app, to prove the features are available app-wide. */
@Injectable()
class AuditUser {
  constructor(readonly capture: CaptureService) {}
}
@Module({ providers: [AuditUser] })
class FeatureModule {}

describe('ThreadlineModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  // `connect: false` for boots meant to fail: Nest does not close a pool when init throws.
  const boot = (threadline: ReturnType<typeof ThreadlineModule.forRoot>, connect = true) =>
    Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, manualInitialization: !connect }),
        threadline,
        FeatureModule,
      ],
    }).compile();

  it.each([
    ['forRoot', () => ThreadlineModule.forRoot(OPTIONS)],
    [
      'forRootAsync useFactory + inject + imports',
      () =>
        ThreadlineModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (c: ConfigService) => c.get(),
          operatorPath: '/ops',
        }),
    ],
    ['forRootAsync useClass', () => ThreadlineModule.forRootAsync({ useClass: ConfigService, operatorPath: '/ops' })],
    [
      'forRootAsync useExisting',
      () =>
        ThreadlineModule.forRootAsync({ imports: [ConfigModule], useExisting: ConfigService, operatorPath: '/ops' }),
    ],
  ])('%s hands each feature its slice, available app-wide', async (_name, register) => {
    const moduleRef = await boot(register());
    expect(moduleRef.get(THREADLINE_CAPTURE_OPTIONS).tables[0]).toMatchObject({ table: 'users', mask: ['email'] });
    expect(moduleRef.get(THREADLINE_RETENTION_POLICY)).toMatchObject({
      windowSeconds: 90 * 86400,
      enabled: true,
      batchSize: 500,
    });
    expect(moduleRef.get(AuditUser).capture).toBeInstanceOf(CaptureService);
    expect(moduleRef.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({ path: '/ops', coverageRefreshSeconds: 30 });
    await moduleRef.close();
  });

  it('mounts no audit routes without operator (forRoot) or with operatorPath: false (forRootAsync)', async () => {
    for (const register of [
      () => ThreadlineModule.forRoot({}),
      () => ThreadlineModule.forRootAsync({ useFactory: () => ({}), operatorPath: false }),
    ]) {
      const moduleRef = await boot(register());
      expect(moduleRef.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({ path: false });
      await moduleRef.close();
    }
  });

  it.each([
    [
      {},
      'operator.authorize is required to mount the audit pages and routes at /audit: pass operator: { authorize: (request) => boolean }',
    ],
    [
      { operator: { path: '/ops', authorize: (): boolean => true } },
      "operator.path is /ops but the routes are mounted at /audit: with forRootAsync the path is fixed before useFactory runs, so pass operatorPath: '/ops' next to useFactory",
    ],
    [
      { operator: { authorize: (): boolean => true, coverageRefreshSeconds: 0 } },
      'operator.coverageRefreshSeconds must be a number of seconds from 1 to 3600 (got 0)',
    ],
  ])('forRootAsync mounting at /audit stops boot for %j', async (options, message) => {
    await expect(
      boot(ThreadlineModule.forRootAsync({ useFactory: () => options as ThreadlineModuleOptions }), false),
    ).rejects.toThrow(message);
  });

  it('forRoot rejects a malformed operator.path when the module is defined', () => {
    expect(() => ThreadlineModule.forRoot({ operator: { path: 'audit/', authorize: () => true } })).toThrow(
      "operator.path must be a URL path such as '/audit'",
    );
  });

  it.each([
    [{ captur: {} }, 'captur is not a known option (allowed: capture, actor, retention, health, operator)'],
    [
      { capture: { tables: { users: { exclude: ['a'], mask: ['a'] } } } },
      'capture.tables.users: column(s) a are both excluded and masked',
    ],
    [{ retention: { keepDays: 90, maxAgeSeconds: 60 } }, 'retention: set exactly one of keepDays or maxAgeSeconds'],
    [{ retention: { keepDays: 0 } }, 'retention: keepDays must be a positive integer (got 0)'],
    [{ retention: { keepDays: 1, enabled: 'yes' } }, 'retention: enabled must be true or false'],
  ])('stops boot for %j, naming the option and what is allowed', async (options, message) => {
    await expect(
      boot(
        ThreadlineModule.forRootAsync({ useFactory: () => options as ThreadlineModuleOptions, operatorPath: false }),
        false,
      ),
    ).rejects.toThrow(message);
  });
});

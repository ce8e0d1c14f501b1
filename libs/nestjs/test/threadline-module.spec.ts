import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { THREADLINE_CAPTURE_OPTIONS } from '@threadline/capture';
import { THREADLINE_OPERATOR_OPTIONS } from '@threadline/operator';
import { THREADLINE_RETENTION_POLICY } from '@threadline/retention';
import { cliCommand } from '@threadline/core';
import { CaptureService, checkThreadlineOptions, ThreadlineModule, ThreadlineModuleOptions } from '../src';

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
        }),
    ],
    ['forRootAsync useClass', () => ThreadlineModule.forRootAsync({ useClass: ConfigService })],
    [
      'forRootAsync useExisting',
      () => ThreadlineModule.forRootAsync({ imports: [ConfigModule], useExisting: ConfigService }),
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

  it('mounts no audit routes without operator: forRoot leaves them out, forRootAsync marks them unmounted (404)', async () => {
    const sync = await boot(ThreadlineModule.forRoot({}));
    expect(() => sync.get(THREADLINE_OPERATOR_OPTIONS)).toThrow();
    await sync.close();
    const async = await boot(ThreadlineModule.forRootAsync({ useFactory: () => ({}) }));
    expect(async.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({ mounted: false });
    await async.close();
  });

  it('checkThreadlineOptions only checks: calling it (say, in a unit test) leaves the command messages name alone', () => {
    const before = cliCommand('gen-triggers');
    expect(checkThreadlineOptions({ cli: { command: 'other-cli' } })).toEqual({ cli: { command: 'other-cli' } });
    expect(cliCommand('gen-triggers')).toBe(before);
    expect(() => checkThreadlineOptions({ cli: { command: 'x' }, captur: {} } as never)).toThrow(/captur/);
  });

  it('reports the problems of every slice in one error, so one boot shows them all', async () => {
    const options = {
      capture: { tables: { users: { mask: 'email' } } },
      retention: { keepDays: 0 },
      health: { strict: 'yes' },
      actor: { resolveActor: 'user:1' },
      operator: { path: 'audit/' },
      operatr: {},
    };
    for (const register of [
      () => ThreadlineModule.forRootAsync({ useFactory: () => options as unknown as ThreadlineModuleOptions }),
      () => ThreadlineModule.forRoot(options as unknown as ThreadlineModuleOptions),
    ]) {
      const error = await boot(register(), false).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message.split('\n')).toEqual([
        'Invalid Threadline options:',
        '  - operatr is not a known option (allowed: capture, actor, retention, health, operator, cli)',
        expect.stringMatching(/^  - capture\.tables\.users\.mask must be an array/),
        '  - actor.resolveActor must be a function (request) => ActorRef | null',
        '  - retention.keepDays must be a positive integer (got 0)',
        '  - health.strict must be true or false',
        expect.stringMatching(/^  - operator\.authorize is required/),
        expect.stringMatching(/^  - operator\.path must be a URL path such as '\/audit'/),
      ]);
    }
  });

  it.each([
    [{ captur: {} }, 'captur is not a known option (allowed: capture, actor, retention, health, operator, cli)'],
    [
      { capture: { tables: { users: { exclude: ['a'], mask: ['a'] } } } },
      'capture.tables.users: column(s) a are both excluded and masked',
    ],
    [{ retention: { keepDays: 90, maxAgeSeconds: 60 } }, 'retention needs exactly one of keepDays or maxAgeSeconds'],
    [{ retention: { keepDays: 0 } }, 'retention.keepDays must be a positive integer (got 0)'],
    [{ retention: { keepDays: 1, enabled: 'yes' } }, 'retention.enabled must be true or false'],
    [
      { cli: { command: 'node dist/cli.js\nrm -rf /' } },
      "cli.command must be the command line that runs this app's CLI",
    ],
    [{ cli: { cmd: 'x' } }, 'cli.cmd is not a known option (allowed: command)'],
  ])('stops boot for %j, naming the option and what is allowed', async (options, message) => {
    await expect(
      boot(ThreadlineModule.forRootAsync({ useFactory: () => options as ThreadlineModuleOptions }), false),
    ).rejects.toThrow(message);
  });
});

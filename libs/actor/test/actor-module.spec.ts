import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { ActorOptions, ActorRef, THREADLINE_ACTOR_OPTIONS, ThreadlineActorModule, ThreadlineContext } from '../src';

const resolveActor = () => ActorRef.user('1');
const OPTIONS: ActorOptions = { resolveActor, mountContext: false };

describe('ThreadlineActorModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());
  const typeorm = (connect = true) =>
    TypeOrmModule.forRoot({ type: 'postgres', url: db.url, manualInitialization: !connect });

  itResolvesEveryRegistrationForm({
    module: ThreadlineActorModule,
    factoryMethod: 'createActorOptions',
    options: OPTIONS,
    imports: () => [typeorm()],
    check: (moduleRef) => {
      expect(moduleRef.get(THREADLINE_ACTOR_OPTIONS)).toEqual({
        resolveActor,
        resolverConfigured: true,
        mountContext: false,
        dataSources: [],
      });
      expect(moduleRef.get(ThreadlineContext)).toBeInstanceOf(ThreadlineContext);
    },
  });

  it.each([
    [{ resolveActor: 'user:1' }, 'actor.resolveActor must be a function'],
    [
      { resolver: () => null },
      'actor.resolver is not a known option (allowed: resolveActor, mountContext, dataSources)',
    ],
    [{ mountContext: 'yes' }, 'actor.mountContext must be true or false'],
  ])('stops boot for %j', async (options, message) => {
    const compile = Test.createTestingModule({
      imports: [typeorm(false), ThreadlineActorModule.forRoot(options as never)],
    }).compile();
    await expect(compile).rejects.toThrow(message);
  });

  it('says once at boot that requests will have no actor when no resolver is configured, and not when one is', async () => {
    const warnings: unknown[] = [];
    const logger = { log() {}, error() {}, debug() {}, verbose() {}, warn: (m: unknown) => warnings.push(m) };
    for (const actor of [{}, { resolveActor }]) {
      const moduleRef = await Test.createTestingModule({
        imports: [typeorm(), ThreadlineActorModule.forRoot(actor)],
      }).compile();
      const app = moduleRef.createNestApplication({ logger });
      await app.init();
      await app.close();
    }
    // logging is off here, so the line is a record: { msg, event } (logLine)
    expect(warnings).toEqual([
      expect.objectContaining({
        event: 'actor:no_resolver',
        msg: expect.stringContaining(
          'actor.resolveActor is not set, so audited writes made in requests are stored with no actor',
        ),
      }),
    ]);
  });
});

import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { ActorOptions, ActorRef, THREADLINE_ACTOR_OPTIONS, ThreadlineActorModule, ThreadlineContext } from '../src';

const resolveActor = () => ActorRef.user('1');
const OPTIONS: ActorOptions = { resolveActor, mountContext: false };

@Injectable()
class OptionsFactory {
  createActorOptions(): ActorOptions {
    return OPTIONS;
  }
}
@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class FactoryModule {}

describe('ThreadlineActorModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());
  const typeorm = (connect = true) => TypeOrmModule.forRoot({ type: 'postgres', url: db.url, manualInitialization: !connect });

  it.each([
    ['forRoot', () => ThreadlineActorModule.forRoot(OPTIONS)],
    ['forRootAsync useFactory', () => ThreadlineActorModule.forRootAsync({ useFactory: async () => OPTIONS })],
    ['forRootAsync useClass', () => ThreadlineActorModule.forRootAsync({ useClass: OptionsFactory })],
    ['forRootAsync useExisting', () => ThreadlineActorModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory })],
  ])('%s resolves the same options', async (_name, register) => {
    const moduleRef = await Test.createTestingModule({ imports: [typeorm(), register()] }).compile();
    expect(moduleRef.get(THREADLINE_ACTOR_OPTIONS)).toEqual({ resolveActor, mountContext: false });
    expect(moduleRef.get(ThreadlineContext)).toBeInstanceOf(ThreadlineContext);
    await moduleRef.close();
  });

  it.each([
    [{ resolveActor: 'user:1' }, 'actor.resolveActor must be a function'],
    [{ resolver: () => null }, 'actor.resolver is not a known option (allowed: resolveActor, mountContext)'],
    [{ mountContext: 'yes' }, 'actor.mountContext must be true or false'],
  ])('stops boot for %j', async (options, message) => {
    const compile = Test.createTestingModule({ imports: [typeorm(false), ThreadlineActorModule.forRoot(options as never)] }).compile();
    await expect(compile).rejects.toThrow(message);
  });
});

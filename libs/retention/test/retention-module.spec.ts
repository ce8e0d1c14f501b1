import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { ThreadlineRetentionModule, THREADLINE_RETENTION_POLICY } from '../src';

const authorize = () => true;
const OPTIONS = { keepDays: 30, enabled: true };

@Injectable()
class OptionsFactory {
  createRetentionOptions() {
    return OPTIONS;
  }
}
@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class FactoryModule {}

describe('ThreadlineRetentionModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it.each([
    ['forRoot', () => ThreadlineRetentionModule.forRoot(OPTIONS as never)],
    ['forRootAsync useFactory', () => ThreadlineRetentionModule.forRootAsync({ useFactory: async () => OPTIONS as never })],
    ['forRootAsync useClass', () => ThreadlineRetentionModule.forRootAsync({ useClass: OptionsFactory as never })],
    ['forRootAsync useExisting', () => ThreadlineRetentionModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory as never })],
  ])('%s resolves the same options', async (_name, register) => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot({ type: 'postgres', url: db.url }), ThreadlineCaptureModule.forRoot({}), register()],
    }).compile();
    expect(moduleRef.get(THREADLINE_RETENTION_POLICY)).toMatchObject({ windowSeconds: 2592000, enabled: true });
    await moduleRef.close();
  });
});

import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { ThreadlineHealthModule, THREADLINE_COVERAGE_POLICY } from '../src';

const authorize = () => true;
const OPTIONS = { expectedTables: ['app.orders'], strict: true };

@Injectable()
class OptionsFactory {
  createHealthOptions() {
    return OPTIONS;
  }
}
@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class FactoryModule {}

describe('ThreadlineHealthModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it.each([
    ['forRoot', () => ThreadlineHealthModule.forRoot(OPTIONS as never)],
    ['forRootAsync useFactory', () => ThreadlineHealthModule.forRootAsync({ useFactory: async () => OPTIONS as never })],
    ['forRootAsync useClass', () => ThreadlineHealthModule.forRootAsync({ useClass: OptionsFactory as never })],
    ['forRootAsync useExisting', () => ThreadlineHealthModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory as never })],
  ])('%s resolves the same options', async (_name, register) => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot({ type: 'postgres', url: db.url }), ThreadlineCaptureModule.forRoot({}), register()],
    }).compile();
    expect(moduleRef.get(THREADLINE_COVERAGE_POLICY)).toMatchObject({ expectedTables: [{ schema: 'app', table: 'orders' }], strict: true });
    await moduleRef.close();
  });
});

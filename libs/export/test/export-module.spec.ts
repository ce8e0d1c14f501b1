import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { ThreadlineExportModule, THREADLINE_OPERATOR_OPTIONS } from '../src';

const authorize = () => true;
const OPTIONS = { authorize };

@Injectable()
class OptionsFactory {
  createOperatorOptions() {
    return OPTIONS;
  }
}
@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class FactoryModule {}

describe('ThreadlineExportModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it.each([
    ['forRoot', () => ThreadlineExportModule.forRoot(OPTIONS as never)],
    ['forRootAsync useFactory', () => ThreadlineExportModule.forRootAsync({ useFactory: async () => OPTIONS as never })],
    ['forRootAsync useClass', () => ThreadlineExportModule.forRootAsync({ useClass: OptionsFactory as never })],
    ['forRootAsync useExisting', () => ThreadlineExportModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory as never })],
  ])('%s resolves the same options', async (_name, register) => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot({ type: 'postgres', url: db.url }), ThreadlineCaptureModule.forRoot({}), register()],
    }).compile();
    expect(moduleRef.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({ authorize });
    await moduleRef.close();
  });
});

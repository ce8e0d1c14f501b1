import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineProofModule } from '@threadline/proof';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { ThreadlineHealthModule, THREADLINE_COVERAGE_POLICY } from '../src';

describe('ThreadlineHealthModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  itResolvesEveryRegistrationForm({
    module: ThreadlineHealthModule,
    factoryMethod: 'createHealthOptions',
    options: { expectedTables: ['app.orders'], strict: true },
    imports: () => [
      TypeOrmModule.forRoot({ type: 'postgres', url: db.url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineProofModule.forRoot({}),
    ],
    check: (moduleRef) =>
      expect(moduleRef.get(THREADLINE_COVERAGE_POLICY)).toMatchObject({
        expectedTables: [{ schema: 'app', table: 'orders' }],
        strict: true,
      }),
  });
});

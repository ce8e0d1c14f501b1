import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineHealthModule } from '@threadline/health';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { ThreadlineExportModule, THREADLINE_OPERATOR_OPTIONS } from '../src';

describe('ThreadlineExportModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  itResolvesEveryRegistrationForm({
    module: ThreadlineExportModule,
    factoryMethod: 'createOperatorOptions',
    options: { authorize: () => true },
    imports: () => [
      TypeOrmModule.forRoot({ type: 'postgres', url: db.url }),
      ThreadlineCaptureModule.forRoot({}),
      ThreadlineHealthModule.forRoot({}),
    ],
    check: (moduleRef) =>
      expect(moduleRef.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({
        path: '/audit',
        authorize: expect.any(Function),
        coverageRefreshSeconds: 30,
      }),
  });
});

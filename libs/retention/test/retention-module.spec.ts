import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { ThreadlineRetentionModule, THREADLINE_RETENTION_POLICY } from '../src';

describe('ThreadlineRetentionModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  itResolvesEveryRegistrationForm({
    module: ThreadlineRetentionModule,
    factoryMethod: 'createRetentionOptions',
    options: { keepDays: 30, enabled: true },
    imports: () => [TypeOrmModule.forRoot({ type: 'postgres', url: db.url }), ThreadlineCaptureModule.forRoot({})],
    check: (moduleRef) =>
      expect(moduleRef.get(THREADLINE_RETENTION_POLICY)).toMatchObject({ windowSeconds: 2592000, enabled: true }),
  });
});

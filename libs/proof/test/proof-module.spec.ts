import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { ThreadlineProofModule, THREADLINE_INTEGRITY_POLICY } from '../src';

describe('ThreadlineProofModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  itResolvesEveryRegistrationForm({
    module: ThreadlineProofModule,
    factoryMethod: 'createProofOptions',
    options: { integrity: { sealEverySeconds: 0, checkEverySeconds: 30 } },
    imports: () => [TypeOrmModule.forRoot({ type: 'postgres', url: db.url }), ThreadlineCaptureModule.forRoot({})],
    check: (moduleRef) =>
      expect(moduleRef.get(THREADLINE_INTEGRITY_POLICY)).toEqual({
        sealEverySeconds: 0,
        checkEverySeconds: 30,
        waitSeconds: 5,
        fullEverySeconds: 0,
        checkpoints: null,
      }),
  });
});

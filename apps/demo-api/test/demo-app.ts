import { INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { AppModule, DemoAppOptions } from '../src/app.module';

export interface DemoApp {
  app: INestApplication;
  db: TestDatabase;
  close(): Promise<void>;
}

/** The demo app as main.ts builds it, on a fresh database, migrations applied at start. */
export async function startDemoApp(options: Partial<DemoAppOptions> = {}): Promise<DemoApp> {
  const db = await createTestDatabase();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ databaseUrl: db.url, runMigrations: true, ...options })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  await app.init();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

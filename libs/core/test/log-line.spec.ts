import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import { logfmt, logLine } from '../src';

/** An app's own logger (as nestjs-pino or winston would be installed with app.useLogger). */
class Recorder implements LoggerService {
  readonly records: { level: string; message: unknown; context: unknown }[] = [];
  log(message: unknown, context?: unknown) {
    this.records.push({ level: 'log', message, context });
  }
  warn(message: unknown, context?: unknown) {
    this.records.push({ level: 'warn', message, context });
  }
  error(message: unknown, ...rest: unknown[]) {
    this.records.push({ level: 'error', message, context: rest.at(-1) });
  }
}

/** Issue 31: every Threadline log line has its class as context and stable key=value fields. */
describe('logLine', () => {
  afterEach(() => Logger.overrideLogger(new ConsoleLogger()));

  it("gives an app's own logger a record with the message, the event and the fields apart", () => {
    const recorder = new Recorder();
    Logger.overrideLogger(recorder);
    logLine(new Logger('RetentionService'), 'warn', 'retention:batch', 'purge batch 3 done', {
      batch: 3,
      deleted_changes: 500,
      skipped: undefined,
    });
    expect(recorder.records).toEqual([
      {
        level: 'warn',
        message: { msg: 'purge batch 3 done', event: 'retention:batch', batch: 3, deleted_changes: 500 },
        context: 'RetentionService',
      },
    ]);
  });

  it("gives Nest's console logger one line: the message, then logfmt fields", () => {
    const lines: string[] = [];
    const consoleLogger = new ConsoleLogger();
    jest.spyOn(consoleLogger, 'error').mockImplementation((message: unknown) => void lines.push(String(message)));
    Logger.overrideLogger(consoleLogger);
    logLine(new Logger('IntegritySealer'), 'error', 'proof:sealing_failed', 'sealing failed: lock timeout', {
      error_type: 'QueryFailedError',
    });
    expect(lines).toEqual(['sealing failed: lock timeout event=proof:sealing_failed error_type=QueryFailedError']);
  });

  it('quotes a value with a space, a quote, an equals sign or nothing in it, so each field parses back', () => {
    expect(logfmt({ a: 'plain', b: 'two words', c: 'say "hi"', d: 'k=v', e: '', f: 0, g: false, h: null })).toBe(
      'a=plain b="two words" c="say \\"hi\\"" d="k=v" e="" f=0 g=false h=null',
    );
  });
});

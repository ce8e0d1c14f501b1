// Jest setupFilesAfterEnv (jest.preset.js): with THREADLINE_TEST_LOG_DIR set (`npm test` sets it), every line written
// through Nest's Logger in a test process (apps created with `logger: false` included: the lines are taken before
// Nest drops them) is appended to <dir>/<pid>.ndjson, for tools/check-test-logs.js to grep after the run.
import { Logger } from '@nestjs/common';
import { appendFileSync, mkdirSync } from 'fs';
import * as path from 'path';

const dir = process.env.THREADLINE_TEST_LOG_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.ndjson`);
  const test = path.relative(process.cwd(), expect.getState().testPath ?? '');
  for (const level of ['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const) {
    const original = Logger.prototype[level] as (this: Logger, ...args: unknown[]) => void;
    Logger.prototype[level] = function (this: Logger, ...args: unknown[]) {
      const context = (this as unknown as { context?: string }).context;
      try {
        appendFileSync(file, JSON.stringify({ test, level, context, args }) + '\n');
      } catch {
        // a circular or huge argument: the line is still logged
      }
      return original.apply(this, args);
    } as never;
  }
}

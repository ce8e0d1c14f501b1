import {
  CaptureConfigError,
  cliOptionsProblems,
  CommandUsageError,
  InvalidOptionsError,
  InvalidSqlLiteralError,
  optionProblems,
  ThreadlineError,
} from '../src';
import { parsePositiveInteger } from '../src/cli/command-output';

describe('core errors and messages', () => {
  it('every error is a ThreadlineError named after its class', () => {
    const errors = [
      InvalidOptionsError.of(['x.y must be true or false']),
      new CaptureConfigError('c'),
      CommandUsageError.notPositiveInteger('--batch-size', '0'),
      CommandUsageError.usage('policy show [--json]'),
      InvalidSqlLiteralError.nulCharacter(),
      InvalidSqlLiteralError.notAString(7),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ThreadlineError);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('says what is allowed in every option problem and flag error', () => {
    expect(InvalidOptionsError.of(['a', 'b']).message).toBe('Invalid Threadline options:\n  - a\n  - b');
    expect(optionProblems('retention', 3, ['keepDays'])).toEqual([
      'retention must be an object with the options keepDays (got 3)',
    ]);
    expect(optionProblems('retention', { keep: 1 }, ['keepDays'])).toEqual([
      'retention.keep is not a known option (allowed: keepDays)',
    ]);
    expect(cliOptionsProblems([] as never)).toEqual(["cli must be an object such as { command: 'node dist/cli.js' }"]);
    expect(cliOptionsProblems({ command: 'a`b' })[0]).toMatch(/such as 'node dist\/cli.js'/);
    expect(() => parsePositiveInteger('--batch-size', '0')).toThrow(
      new CommandUsageError('--batch-size must be a positive integer (got "0")'),
    );
  });
});

import { CheckFailedError, CommandUsageError, InvalidOptionsError, ThreadlineError } from '@threadline/core';
import { expectedButMissing, unclassified } from '../src/health.messages';
import { ExpectedTableMissingError, healthOptionsProblems, HealthUsageError } from '../src';
import { redactionDrift } from '../src/health.messages';

describe('health errors', () => {
  it('keeps one class per failure', () => {
    const byBase: [new (...args: never[]) => Error, Error[]][] = [
      [CommandUsageError, [HealthUsageError.noTablesToCheck()]],
      [ThreadlineError, [CheckFailedError.create('verify-coverage', ['a'])]],
      // a boot-time options problem: code that catches InvalidOptionsError still does
      [InvalidOptionsError, [ExpectedTableMissingError.of(['health.expectedTables: x is not a table'])]],
    ];
    for (const [base, errors] of byBase)
      for (const error of errors) {
        expect(error).toBeInstanceOf(base);
        expect(error.name).toBe(error.constructor.name);
      }
  });

  it('says how to fix it', () => {
    expect(expectedButMissing('public.x')).toMatch(/fix the name in health.expectedTables$/);
    expect(unclassified('public.x')).toMatch(/list it in one of them$/);
    expect(CheckFailedError.create('verify-integrity', ['a', 'b']).message).toBe(
      'verify-integrity failed:\n  - a\n  - b',
    );
    expect(redactionDrift(['public.x'])).toMatch(
      /^deployed capture does not match the configuration for public.x; run `node dist\/cli.js gen-triggers`/,
    );
    expect(
      healthOptionsProblems({ strict: 1, expectedTables: ['a'], expectedUncoveredTables: ['a'] } as never),
    ).toEqual([
      'health.strict must be true or false',
      'health.expectedTables: public.a listed in both expectedTables and expectedUncoveredTables; a table is either audited or not',
    ]);
  });
});

import { CheckFailedError, CommandUsageError, ThreadlineError } from '@threadline/core';
import { expectedButMissing, unclassified } from '../src/health.messages';
import {
  BaselineBusyError,
  BaselineError,
  BaselinePrivilegeError,
  healthOptionsProblems,
  HealthUsageError,
  InvalidBaselineOptionsError,
  RedactionDriftError,
  SnapshotNotAllowedError,
  TableNotReadyForBaselineError,
} from '../src';

describe('health errors', () => {
  it('keeps BaselineError as the base of one class per failure', () => {
    const denied = new Error('permission denied');
    const byBase: [new (...args: never[]) => Error, Error[]][] = [
      [
        BaselineError,
        [
          InvalidBaselineOptionsError.batchSize(0),
          InvalidBaselineOptionsError.maxBatches(0),
          TableNotReadyForBaselineError.notATable('public.x'),
          TableNotReadyForBaselineError.notCaptured('public.x', ['t']),
          TableNotReadyForBaselineError.redactionDiffers('public.x', 'drift', 'mask differs'),
          SnapshotNotAllowedError.create('public.x', 'threadline.audit_changes'),
          BaselinePrivilegeError.create('public.x', { changes: 'c', transactions: 't', leases: 'l' }, denied),
          BaselineBusyError.create(['public.x']),
        ],
      ],
      [
        CommandUsageError,
        [
          HealthUsageError.noTablesToCheck(),
          HealthUsageError.baselineNeedsTable(),
          HealthUsageError.executeAndDryRun(),
        ],
      ],
      [ThreadlineError, [CheckFailedError.create('verify-coverage', ['a']), RedactionDriftError.create(['a'])]],
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
    expect(RedactionDriftError.create(['x drifted']).message).toMatch(/run `node dist\/cli.js gen-triggers`/);
    expect(TableNotReadyForBaselineError.notCaptured('public.x', ['t']).message).toMatch(/gen-triggers/);
    expect(
      healthOptionsProblems({ strict: 1, expectedTables: ['a'], expectedUncoveredTables: ['a'] } as never),
    ).toEqual([
      'health.strict must be true or false',
      'health.expectedTables: public.a listed in both expectedTables and expectedUncoveredTables; a table is either audited or not',
    ]);
  });
});

import { CommandUsageError, ThreadlineError } from '@threadline/core';
import { expectedButMissing, noCaptureDeployed, unclassified } from '../src/health.messages';
import {
  BaselineBusyError,
  BaselineError,
  BaselinePrivilegeError,
  CheckFailedError,
  CompletenessError,
  healthOptionsProblems,
  HealthUsageError,
  IntegrityError,
  InvalidBaselineOptionsError,
  InvalidCompletenessOptionsError,
  InvalidKeptHeadError,
  InvalidVerifyOptionsError,
  parseKeptHead,
  RedactionDriftError,
  SealBusyError,
  SealPrivilegeError,
  SnapshotNotAllowedError,
  TableNotReadyForBaselineError,
} from '../src';

describe('health errors', () => {
  it('keeps IntegrityError, BaselineError and CompletenessError as the bases of one class per failure', () => {
    const denied = new Error('permission denied');
    const byBase: [new (...args: never[]) => Error, Error[]][] = [
      [
        IntegrityError,
        [
          InvalidKeptHeadError.create('x'),
          InvalidVerifyOptionsError.notATimestamp('from', 'soon'),
          InvalidVerifyOptionsError.afterHeadWithFrom(),
          InvalidVerifyOptionsError.afterHeadWithKeptHead(),
          SealBusyError.from(new Error('held by 42')),
          SealPrivilegeError.create({ sealFunction: 'f', seals: 's', checkpoints: 'c' }, denied),
        ],
      ],
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
      [CompletenessError, [InvalidCompletenessOptionsError.batchSize(0), InvalidCompletenessOptionsError.noTables()]],
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
    expect(() => parseKeptHead('42')).toThrow(/such as 42:0{64}/);
    expect(noCaptureDeployed('public.x')).toMatch(/run `node dist\/cli.js gen-triggers` and your migrations/);
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

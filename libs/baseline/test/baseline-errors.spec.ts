import { CommandUsageError } from '@threadline/core';
import {
  BaselineBusyError,
  BaselineError,
  BaselinePrivilegeError,
  BaselineUsageError,
  InvalidBaselineOptionsError,
  SnapshotNotAllowedError,
  TableNotReadyForBaselineError,
} from '../src';

describe('baseline errors', () => {
  it('keeps BaselineError as the base of one class per failure, and says how to fix it', () => {
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
      [CommandUsageError, [BaselineUsageError.baselineNeedsTable(), BaselineUsageError.executeAndDryRun()]],
    ];
    for (const [base, errors] of byBase)
      for (const error of errors) {
        expect(error).toBeInstanceOf(base);
        expect(error.name).toBe(error.constructor.name);
      }
    expect(TableNotReadyForBaselineError.notCaptured('public.x', ['t']).message).toMatch(/gen-triggers/);
  });
});

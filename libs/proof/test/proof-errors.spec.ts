import { ThreadlineError } from '@threadline/core';
import { noCaptureDeployed } from '../src/proof.messages';
import {
  CompletenessError,
  IntegrityError,
  InvalidCompletenessOptionsError,
  InvalidKeptHeadError,
  InvalidVerifyOptionsError,
  parseKeptHead,
  SealBusyError,
  SealPrivilegeError,
} from '../src';

describe('proof errors', () => {
  it('keeps IntegrityError and CompletenessError as the bases of one class per failure', () => {
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
      [CompletenessError, [InvalidCompletenessOptionsError.batchSize(0), InvalidCompletenessOptionsError.noTables()]],
    ];
    for (const [base, errors] of byBase)
      for (const error of errors) {
        expect(error).toBeInstanceOf(base);
        expect(error).toBeInstanceOf(ThreadlineError);
        expect(error.name).toBe(error.constructor.name);
      }
  });

  it('says how to fix it', () => {
    expect(() => parseKeptHead('42')).toThrow(/such as 42:0{64}/);
    expect(noCaptureDeployed('public.x')).toMatch(/run `node dist\/cli.js gen-triggers` and your migrations/);
  });
});

import { CommandUsageError, ThreadlineError } from '@threadline/core';
import {
  InvalidCutoffError,
  InvalidPurgeLimitError,
  PurgeLeaseLostError,
  PurgeModeError,
  PurgeNotCompletedError,
  PurgePrivilegeError,
  RetentionError,
} from '../src';

describe('retention errors', () => {
  it('each failure is its own class, a RetentionError (or a usage error), named after its class', () => {
    const tables = { changes: 'c', transactions: 't', leases: 'l', recordPurge: 'p' };
    const failures = [
      InvalidCutoffError.notATimestamp('soon'),
      InvalidCutoffError.tooNew('2026-01-02', '2026-01-01'),
      InvalidPurgeLimitError.create('batchSize', 0),
      PurgeLeaseLostError.create(3),
      PurgePrivilegeError.create(tables, new Error('permission denied')),
      PurgeNotCompletedError.create('disabled', 'retention.enabled is false'),
    ];
    for (const error of failures) {
      expect(error).toBeInstanceOf(RetentionError);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(PurgeModeError.both()).toBeInstanceOf(CommandUsageError);
    expect(PurgeModeError.neither()).toBeInstanceOf(ThreadlineError);
  });

  it('says what to do instead', () => {
    expect(InvalidCutoffError.notATimestamp('soon').message).toMatch(/such as 2026-01-31T00:00:00Z/);
    expect(InvalidCutoffError.tooNew('a', 'b').message).toMatch(/only a stricter \(older\) cutoff may be given/);
    expect(PurgeModeError.neither().message).toMatch(/run with --dry-run first/);
    expect(
      PurgePrivilegeError.create({ changes: 'c', transactions: 't', leases: 'l', recordPurge: 'p' }, new Error('x'))
        .message,
    ).toMatch(/connected as the audit tables' owner/);
  });
});

import { CommandUsageError, ThreadlineError } from '@threadline/core';
import {
  InvalidCutoffError,
  InvalidPurgeLimitError,
  PurgeLeaseLostError,
  PurgeModeError,
  PurgeNotCompletedError,
  PurgePrivilegeError,
  InvalidLegalHoldError,
  LegalHoldUnreadableError,
  LegalHoldPrivilegeError,
  LegalHoldSchemaError,
  RetentionError,
} from '../src';

describe('retention errors', () => {
  it('each failure is its own class, a RetentionError (or a usage error), named after its class', () => {
    const tables = {
      changes: 'c',
      transactions: 't',
      actions: 'a',
      leases: 'l',
      recordPurge: 'p',
      holds: 'h',
      purgePartition: 'pp',
    };
    const failures = [
      InvalidCutoffError.notATimestamp('soon'),
      InvalidCutoffError.tooNew('2026-01-02', '2026-01-01'),
      InvalidPurgeLimitError.create('batchSize', 0),
      PurgeLeaseLostError.create(3),
      PurgePrivilegeError.create(tables, new Error('permission denied')),
      PurgeNotCompletedError.create('disabled', 'retention.enabled is false'),
      InvalidLegalHoldError.noFilter(),
      InvalidLegalHoldError.required('reason'),
      LegalHoldUnreadableError.create('1', 'x'),
      LegalHoldPrivilegeError.create('h', new Error('permission denied')),
      LegalHoldSchemaError.create('h'),
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
      PurgePrivilegeError.create(
        {
          changes: 'c',
          transactions: 't',
          actions: 'a',
          leases: 'l',
          recordPurge: 'p',
          holds: 'h',
          purgePartition: 'pp',
        },
        new Error('x'),
      ).message,
    ).toMatch(
      /UPDATE on h \(to lock the legal holds while a batch runs\).*ownership of the partitions \(to drop them\) and EXECUTE on pp.*connected as the audit tables' owner/,
    );
    expect(LegalHoldSchemaError.create('h').message).toMatch(
      /run `.*install` to write its migration, then your migrations/,
    );
    expect(InvalidLegalHoldError.noFilter().message).toMatch(
      /at least one filter \(table, actorRef, from, to, correlationId, op, key, transactionId, traceId; on the command line --table, --actor, --from, --to, --correlation-id, --op, --key, --transaction, --trace-id\)/,
    );
  });
});

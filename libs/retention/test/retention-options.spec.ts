import { InvalidOptionsError } from '@threadline/core';
import { resolveRetentionPolicy } from '../src';

describe('retention policy validation', () => {
  it.each([
    [{}, 'retention needs exactly one of keepDays or maxAgeSeconds (a positive integer)'],
    [{ keepDays: 1, maxAgeSeconds: 60 }, 'retention needs exactly one of keepDays or maxAgeSeconds'],
    [{ keepDays: -1 }, 'retention.keepDays must be a positive integer (got -1)'],
    [{ maxAgeSeconds: 1.5 }, 'retention.maxAgeSeconds must be a positive integer (got 1.5)'],
    [{ keepDays: 1, batchSize: 0 }, 'retention.batchSize must be a positive integer (got 0)'],
    [{ keepDays: 1, maxBatches: '10' }, 'retention.maxBatches must be a positive integer (got "10")'],
    [
      { keepDays: 1, deleteEmptyTransactions: 'no' },
      'retention.deleteEmptyTransactions must be true or false (got "no")',
    ],
    [{ keep_days: 1 }, 'retention.keep_days is not a known option (allowed: keepDays, maxAgeSeconds, enabled'],
    [[], 'retention must be an object with the options keepDays, maxAgeSeconds'],
    [
      { keepDays: 1, schedule: 'every night' },
      'retention.schedule must be a cron expression such as \'0 3 * * *\' (got "every night")',
    ],
    [
      { keepDays: 1, tables: { sessions: { keepDays: 7, maxAgeSeconds: 1 } } },
      'retention.tables.sessions needs exactly one of keepDays or maxAgeSeconds',
    ],
    [
      { keepDays: 1, tables: { sessions: { days: 7 } } },
      'retention.tables.sessions.days is not a known option (allowed: keepDays, maxAgeSeconds)',
    ],
    [
      { keepDays: 1, partitions: 'truncate' },
      "retention.partitions must be one of 'drop', 'detach', 'rows' (got \"truncate\")",
    ],
  ])('rejects %j naming the option', (options, message) => {
    expect(() => resolveRetentionPolicy(options as never)).toThrow(InvalidOptionsError);
    expect(() => resolveRetentionPolicy(options as never)).toThrow(message);
  });

  it('fills defaults and converts the window to seconds', () => {
    expect(resolveRetentionPolicy({ keepDays: 90, enabled: true })).toEqual({
      windowSeconds: 7_776_000,
      keepDays: 90,
      maxAgeSeconds: undefined,
      enabled: true,
      deleteEmptyTransactions: true,
      batchSize: 500,
      maxBatches: 10_000,
      schedule: undefined,
      tables: [],
      partitions: 'drop',
    });
    expect(resolveRetentionPolicy({ keepDays: 1, partitions: 'detach' })).toMatchObject({ partitions: 'detach' });
    expect(
      resolveRetentionPolicy({
        keepDays: 90,
        schedule: '0 3 * * *',
        tables: { 'app.sessions': { maxAgeSeconds: 3600 } },
      }),
    ).toMatchObject({
      schedule: '0 3 * * *',
      tables: [{ schema: 'app', table: 'sessions', windowSeconds: 3600 }],
    });
    expect(resolveRetentionPolicy({ maxAgeSeconds: 60 })).toMatchObject({ windowSeconds: 60, enabled: false });
    expect(resolveRetentionPolicy(undefined)).toBeUndefined();
  });
});

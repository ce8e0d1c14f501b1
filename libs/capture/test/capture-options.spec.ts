import { InvalidOptionsError } from '@threadline/core';
import { resolveCaptureOptions } from '../src';

describe('capture options validation', () => {
  const problemOf = (options: unknown) => {
    try {
      resolveCaptureOptions(options as never);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionsError);
      return (error as Error).message;
    }
    throw new Error('expected the options to be rejected');
  };

  it.each([
    [
      { tables: { users: { mask: 'email' } } },
      'capture.tables.users.mask must be an array of column names (got "email")',
    ],
    [
      { tables: { users: { mask: ['email'], exclude: ['email'] } } },
      'capture.tables.users: column(s) email are both excluded and masked',
    ],
    [
      { tables: { users: { masks: ['email'] } } },
      'capture.tables.users.masks is not a known option (allowed: exclude, mask, exceptColumns, storeChangedFrom)',
    ],
    [
      { table: {} },
      'capture.table is not a known option (allowed: auditSchema, tables, maskPlaceholder, recordNoopUpdates, captureInReplicaRole, migrationsDir, queryIndexes, partitioning)',
    ],
    [
      { partitioning: { interval: 'year' } },
      `capture.partitioning.interval must be 'day', 'week' or 'month' (got "year")`,
    ],
    [
      { partitioning: { interval: 'month', ahead: 2 } },
      'capture.partitioning.ahead must be a whole number of intervals from 3 to 24',
    ],
    [{ partitioning: { interval: 'month', ahead: 2.5 } }, 'capture.partitioning.ahead must be a whole number'],
    [
      { partitioning: { interval: 'day', schedule: 'hourly' } },
      `capture.partitioning.schedule must be a cron expression such as '7 * * * *', or false`,
    ],
    [
      { partitioning: { interval: 'day', every: 1 } },
      'capture.partitioning.every is not a known option (allowed: interval, ahead, schedule)',
    ],
    [{ partitioning: 'month' }, 'capture.partitioning'],
    [{ tables: [] }, 'capture.tables must be an object keyed by table name'],
    [{ maskPlaceholder: '' }, 'capture.maskPlaceholder must not be empty'],
    [{ recordNoopUpdates: 'yes' }, 'capture.recordNoopUpdates must be true or false (got "yes")'],
    [
      { tables: { users: { storeChangedFrom: 1 } } },
      'capture.tables.users.storeChangedFrom must be true or false (got 1)',
    ],
    [
      { tables: { users: { exceptColumns: [1] } } },
      'capture.tables.users.exceptColumns must be an array of column names',
    ],
  ])('rejects %j with a message naming the option', (options, message) => {
    expect(problemOf(options)).toContain(message);
  });

  it('fills the partitioning defaults', () => {
    expect(resolveCaptureOptions({ partitioning: { interval: 'week' } }).partitioning).toEqual({
      interval: 'week',
      ahead: 3,
      schedule: '7 * * * *',
    });
    expect(
      resolveCaptureOptions({ partitioning: { interval: 'day', ahead: 24, schedule: false } }).partitioning,
    ).toEqual({
      interval: 'day',
      ahead: 24,
      schedule: false,
    });
  });

  it('reports every problem at once', () => {
    const message = problemOf({
      recordNoopUpdates: 1,
      tables: { a: { mask: 'x' }, b: { exclude: ['c'], mask: ['c'] } },
    });
    expect(message.split('\n  - ')).toHaveLength(4);
  });

  it('fills defaults and parses schema-qualified names', () => {
    expect(resolveCaptureOptions({ tables: { 'shop.orders': { mask: ['b', 'a', 'b'] } } })).toEqual({
      auditSchema: 'public',
      maskPlaceholder: '[REDACTED]',
      recordNoopUpdates: false,
      captureInReplicaRole: true,
      migrationsDir: 'src/migrations',
      queryIndexes: true,
      partitioning: null,
      tables: [
        { schema: 'shop', table: 'orders', mask: ['a', 'b'], exclude: [], exceptColumns: [], storeChangedFrom: false },
      ],
    });
  });
});

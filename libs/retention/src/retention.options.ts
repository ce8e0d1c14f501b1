import { parseTableName, validCron } from '@threadline/capture';
import { InvalidOptionsError, optionProblems } from '@threadline/core';
import {
  invalidSchedule,
  notBoolean,
  notOneOf,
  notPositiveInteger,
  ONE_WINDOW,
  TABLES_NOT_AN_OBJECT,
  tableNeedsOneWindow,
  tableWindowUnknownOption,
} from './retention.messages';

/** `ThreadlineModule.forRoot({ retention })`: how long audit changes are kept. */
export interface RetentionOptions {
  /** Keep changes this many days (exactly one of keepDays / maxAgeSeconds). */
  keepDays?: number;
  /** Keep changes this many seconds (exactly one of keepDays / maxAgeSeconds). */
  maxAgeSeconds?: number;
  /** Destructive purges refuse to run unless true. @default false */
  enabled?: boolean;
  /** Remove audit_transactions left without changes. @default true */
  deleteEmptyTransactions?: boolean;
  /** Changes deleted per batch. @default 500 */
  batchSize?: number;
  /** Upper bound of batches per purge run. @default 10000 */
  maxBatches?: number;
  /**
   * Cron expression for scheduled purges (needs `ScheduleModule.forRoot()` in
   * the app); off when absent. Runs never overlap, and a lease (a row in
   * audit_leases) keeps two app instances from purging at the same time.
   * @example '0 3 * * *'
   */
  schedule?: string;
  /**
   * Per-table windows that replace the global one for those tables (shorter
   * or longer), keyed by `table` or `schema.table`. Checked against the
   * catalog at boot. @example { sessions: { keepDays: 7 } }
   */
  tables?: Record<string, { keepDays?: number; maxAgeSeconds?: number }>;
  /**
   * On partitioned storage (`capture.partitioning`): what happens to a range every change of which is past its
   * window and held by no legal hold. `'drop'` drops its partitions of both tables, `'detach'` detaches them
   * (kept as tables outside the audit log, to archive), both recorded in the sealed purge ledger; `'rows'`
   * deletes row by row as on one table. The range that straddles the cutoff is always purged row by row.
   * With `deleteEmptyTransactions: false` nothing is dropped. @default 'drop'
   */
  partitions?: PartitionPurgeMode;
}

/** `retention.partitions`: what a purge does with a range of partitioned storage wholly past its window. */
export const PARTITION_PURGE_MODES = ['drop', 'detach', 'rows'] as const;
export type PartitionPurgeMode = (typeof PARTITION_PURGE_MODES)[number];

export interface TableRetentionWindow {
  schema: string;
  table: string;
  windowSeconds: number;
}

export interface RetentionPolicy {
  windowSeconds: number;
  keepDays?: number;
  maxAgeSeconds?: number;
  enabled: boolean;
  deleteEmptyTransactions: boolean;
  batchSize: number;
  maxBatches: number;
  schedule?: string;
  tables: TableRetentionWindow[];
  partitions: PartitionPurgeMode;
}

const KEYS = [
  'keepDays',
  'maxAgeSeconds',
  'enabled',
  'deleteEmptyTransactions',
  'batchSize',
  'maxBatches',
  'schedule',
  'tables',
  'partitions',
];
const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Problems with a retention policy, each naming its option (`retention.keepDays ...`) and saying what is allowed. */
export function retentionProblems(options: RetentionOptions | undefined): string[] {
  const problems = optionProblems('retention', options, KEYS);
  if (options === undefined || problems.length) return problems;
  const hasDays = options.keepDays !== undefined;
  const hasSeconds = options.maxAgeSeconds !== undefined;
  if (hasDays === hasSeconds) problems.push(ONE_WINDOW);
  for (const key of ['keepDays', 'maxAgeSeconds', 'batchSize', 'maxBatches'] as const) {
    if (options[key] !== undefined && !isPositiveInteger(options[key])) {
      problems.push(notPositiveInteger(`retention.${key}`, options[key]));
    }
  }
  for (const key of ['enabled', 'deleteEmptyTransactions'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      problems.push(notBoolean(`retention.${key}`, options[key]));
    }
  }
  if (options.partitions !== undefined && !(PARTITION_PURGE_MODES as readonly unknown[]).includes(options.partitions)) {
    problems.push(notOneOf('retention.partitions', options.partitions, PARTITION_PURGE_MODES));
  }
  if (options.schedule !== undefined && !validCron(options.schedule)) {
    problems.push(invalidSchedule(options.schedule));
  }
  if (options.tables !== undefined) {
    if (options.tables === null || typeof options.tables !== 'object' || Array.isArray(options.tables)) {
      problems.push(TABLES_NOT_AN_OBJECT);
    } else {
      for (const [name, window] of Object.entries(options.tables)) {
        const w = (window ?? {}) as { keepDays?: unknown; maxAgeSeconds?: unknown };
        const unknown = Object.keys(w).filter((k) => k !== 'keepDays' && k !== 'maxAgeSeconds');
        if (unknown.length) problems.push(tableWindowUnknownOption(name, unknown[0]));
        if ((w.keepDays !== undefined) === (w.maxAgeSeconds !== undefined)) {
          problems.push(tableNeedsOneWindow(name));
        }
        for (const key of ['keepDays', 'maxAgeSeconds'] as const) {
          if (w[key] !== undefined && !isPositiveInteger(w[key]))
            problems.push(notPositiveInteger(`retention.tables.${name}.${key}`, w[key]));
        }
      }
    }
  }
  return problems;
}

/** Validated policy with defaults, or undefined when retention is not configured. */
export function resolveRetentionPolicy(options: RetentionOptions | undefined): RetentionPolicy | undefined {
  InvalidOptionsError.throwIfAny(retentionProblems(options));
  if (!options) return undefined;
  return {
    windowSeconds: options.keepDays !== undefined ? options.keepDays * 86_400 : options.maxAgeSeconds!,
    keepDays: options.keepDays,
    maxAgeSeconds: options.maxAgeSeconds,
    enabled: options.enabled ?? false,
    deleteEmptyTransactions: options.deleteEmptyTransactions ?? true,
    batchSize: options.batchSize ?? 500,
    maxBatches: options.maxBatches ?? 10_000,
    schedule: options.schedule,
    partitions: options.partitions ?? 'drop',
    tables: Object.entries(options.tables ?? {})
      .map(([name, w]) => ({
        ...parseTableName(name),
        windowSeconds: w.keepDays !== undefined ? w.keepDays * 86_400 : w.maxAgeSeconds!,
      }))
      .sort((a, b) => `${a.schema}.${a.table}`.localeCompare(`${b.schema}.${b.table}`)),
  };
}

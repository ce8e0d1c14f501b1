import { optionProblems } from '@threadline/core';
// the cron implementation @nestjs/schedule runs, so what validates here runs there
import { CronTime } from 'cron';
import { partitioningTexts } from '../capture.messages';

/** How much time one partition of the audit tables holds (UTC; a week starts on Monday). */
export const PARTITION_INTERVALS = ['day', 'week', 'month'] as const;
export type PartitionInterval = (typeof PARTITION_INTERVALS)[number];
/** Intervals after the current one that maintenance keeps created: the install SQL's CHECK (017) holds the same. */
export const PARTITIONS_AHEAD = { min: 3, max: 24, default: 3 } as const;
/** When the app runs partition maintenance unless `schedule` says otherwise: hourly, at minute 7. */
export const DEFAULT_PARTITION_SCHEDULE = '7 * * * *';

/** `capture.partitioning`: partitioned storage (schema v12). */
export interface PartitioningOptions {
  /** How much time one partition holds. */
  interval: PartitionInterval;
  /** Intervals after the current one kept created (3 to 24). @default 3 */
  ahead?: number;
  /**
   * When the app runs partition maintenance (a cron expression; needs `ScheduleModule.forRoot()`), or
   * false to leave it to `partitions maintain` (cron, pg_cron, ...). It also runs once at boot. @default '7 * * * *'
   */
  schedule?: string | false;
}

export interface ResolvedPartitioning {
  interval: PartitionInterval;
  ahead: number;
  schedule: string | false;
}

/** Whether `expression` is a cron expression the `cron` package (what @nestjs/schedule runs) accepts. */
export function validCron(expression: unknown): boolean {
  if (typeof expression !== 'string') return false;
  try {
    new CronTime(expression);
    return true;
  } catch {
    return false;
  }
}

/** Problems with `capture.partitioning`, each naming the option and what is allowed. */
export function partitioningProblems(value: unknown, path: string): string[] {
  const problems = optionProblems(path, value, ['interval', 'ahead', 'schedule']);
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return problems;
  const { interval, ahead, schedule } = value as Record<string, unknown>;
  if (!PARTITION_INTERVALS.includes(interval as PartitionInterval))
    problems.push(partitioningTexts.interval(path, interval));
  const aheadOk =
    Number.isInteger(ahead) && (ahead as number) >= PARTITIONS_AHEAD.min && (ahead as number) <= PARTITIONS_AHEAD.max;
  if (ahead !== undefined && !aheadOk) problems.push(partitioningTexts.ahead(path, ahead, PARTITIONS_AHEAD));
  if (schedule !== undefined && schedule !== false && !validCron(schedule))
    problems.push(partitioningTexts.schedule(path, schedule));
  return problems;
}

/** The validated option with defaults; null when partitioning is off. */
export function resolvePartitioning(value: PartitioningOptions | undefined): ResolvedPartitioning | null {
  if (value === undefined) return null;
  return {
    interval: value.interval,
    ahead: value.ahead ?? PARTITIONS_AHEAD.default,
    schedule: value.schedule ?? DEFAULT_PARTITION_SCHEDULE,
  };
}

// Texts of partitioned storage (capture.partitioning): status, maintenance, the upgrade. capture.messages re-exports
// them, so every text of the capture lib is imported from one place.
import { cliCommand, gotText } from '@threadline/core';

/** `capture.partitioning` problems. */
export const partitioningTexts = {
  installSql: (problems: readonly string[]) =>
    `auditSchemaSql: invalid partitioning: ${problems.join('; ')} (the same rules as capture.partitioning)`,
  interval: (path: string, got: unknown) => `${path}.interval must be 'day', 'week' or 'month' ${gotText(got)}`,
  ahead: (path: string, got: unknown, range: { min: number; max: number }) =>
    `${path}.ahead must be a whole number of intervals from ${range.min} to ${range.max} (how many partitions after the current one maintenance keeps created) ${gotText(got)}`,
  schedule: (path: string, got: unknown) =>
    `${path}.schedule must be a cron expression such as '7 * * * *', or false to run only 'partitions maintain' ${gotText(got)}`,
};

/** Why partitioned storage is at risk (PartitionStatus.problems), each saying what to do. */
export function partitionProblems(
  status: {
    partitioned: boolean;
    tables: {
      table: string;
      coversNow: boolean;
      intervalsAhead: number;
      coveredUntil: string | null;
      hasDefault: boolean;
      defaultRows: number;
      defaultRowsCapped: boolean;
    }[];
  },
  configured: boolean,
  minAhead: number,
): string[] {
  const maintain = `run ${cliCommand('partitions maintain')} (the app runs it on capture.partitioning.schedule)`;
  if (!status.partitioned) {
    return configured
      ? [
          `capture.partitioning is set but the audit tables are not partitioned: run ${cliCommand('partitions upgrade')}, which moves the log into partitions while the app writes (an empty audit schema is partitioned by ${cliCommand('install')} and your migrations)`,
        ]
      : [];
  }
  return status.tables.flatMap((t) => [
    ...(t.coversNow
      ? []
      : [`no partition of ${t.table} holds the current time: writes go to its default partition; ${maintain}`]),
    ...(t.coversNow && t.intervalsAhead < minAhead
      ? [
          `${t.table} has ${t.intervalsAhead} partition(s) after the current one (at least ${minAhead} needed; partitions end at ${t.coveredUntil}); ${maintain}`,
        ]
      : []),
    ...(t.hasDefault
      ? []
      : [
          `${t.table} has no default partition: a write past its last partition fails; as the owner, CREATE TABLE ${t.table}_default PARTITION OF ${t.table} DEFAULT`,
        ]),
    ...(t.defaultRows > 0
      ? [
          `${t.table}_default holds ${defaultRowsText(t)} row(s) no range partition took; ${maintain}, which moves them into partitions of their interval`,
        ]
      : []),
  ]);
}

/** A default partition's row count as counted: "10000 or more" when the count stopped there. */
const defaultRowsText = (t: { defaultRows: number; defaultRowsCapped: boolean }) =>
  t.defaultRowsCapped ? `${t.defaultRows} or more` : String(t.defaultRows);

export const PARTITIONS_USAGE = [
  'partitions status [--json]',
  'partitions maintain [--json]',
  'partitions upgrade [--interval day|week|month] [--ahead N] [--batch-size N] [--max-batches N] [--json]',
  'partitions upgrade --abort [--json]',
].join('\n  ');

/** What `partitions status` and `partitions maintain` print. */
export function partitionStatusText(
  status: {
    partitioned: boolean;
    upgradeUnderWay?: boolean;
    interval: string | null;
    ahead: number | null;
    at: string;
    tables: {
      table: string;
      partitions: number;
      intervalsAhead: number;
      coveredUntil: string | null;
      defaultRows: number;
      defaultRowsCapped: boolean;
    }[];
    problems: string[];
  },
  created?: number,
): string {
  const head = created === undefined ? [] : [`Created ${created} partition(s).`];
  if (!status.partitioned)
    return [
      ...head,
      status.upgradeUnderWay
        ? `The audit tables are not partitioned yet: a partitioning upgrade is under way (run ${cliCommand('partitions upgrade')} to go on, or add --abort to drop what it made).`
        : 'The audit tables are not partitioned (capture.partitioning is off).',
      ...status.problems.map((p) => `problem: ${p}`),
    ].join('\n');
  return [
    ...head,
    `Partitioned by ${status.interval}, ${status.ahead} interval(s) kept ahead; database time ${status.at}.`,
    ...status.tables.map(
      (t) =>
        `${t.table}: ${t.partitions} partition(s), without a gap until ${t.coveredUntil ?? '-'}, ${t.intervalsAhead} after the current one, ${defaultRowsText(t)} row(s) in the default partition`,
    ),
    ...(status.problems.length ? status.problems.map((p) => `problem: ${p}`) : ['ok']),
  ].join('\n');
}

export const partitionSchedulerTexts = {
  noScheduler:
    "capture.partitioning.schedule is set but @nestjs/schedule's ScheduleModule.forRoot() is not imported here: partition maintenance ran at boot only; import it, or run 'partitions maintain' on a schedule of your own",
  maintained: (created: number, problems: string[]) =>
    `partition maintenance created ${created} partition(s)${problems.length ? `; still at risk: ${problems.join('; ')}` : ''}`,
  failed: (error: unknown) =>
    `partition maintenance failed (the next run retries): ${error instanceof Error ? error.message : String(error)}`,
};

/** What `partitions upgrade` says: its refusals, its progress and its outcome. */
export const partitionUpgradeTexts = {
  noInterval: () =>
    `partitions upgrade needs the interval to partition by: set capture.partitioning (for example { interval: 'month' }) in the app's options, or pass --interval day|week|month`,
  interval: (got: string) => `--interval must be day, week or month (got "${got}")`,
  ahead: (got: number, range: { min: number; max: number }) =>
    `--ahead must be a whole number of intervals from ${range.min} to ${range.max} (got ${got})`,
  differs: (flag: string, value: string | number, configured: string | number) =>
    `${flag} ${value} differs from capture.partitioning (${configured}); leave ${flag} out or make the two agree`,
  abortAlone: () => '--abort takes no other flag but --json',
  progress: (p: { table: string; copied: number; estimate: number; batches: number }) =>
    `partitions upgrade: ${p.table}, batch ${p.batches}, ${p.copied} of about ${p.estimate} rows copied`,
  result: (r: {
    outcome: string;
    interval: string | null;
    ahead: number | null;
    batches: number;
    copied: { transactions: number; changes: number };
    transactions: number | null;
    changes: number | null;
    dropWhenVerified: string | null;
  }) => {
    const copied = `this run copied ${r.copied.transactions} transaction(s) and ${r.copied.changes} change(s) in ${r.batches} batch(es)`;
    switch (r.outcome) {
      case 'partitioned-already':
        return 'The audit tables are partitioned already: nothing to do.';
      case 'aborted':
        return 'Aborted the partitioning upgrade: its copies are dropped and the audit tables are as they were.';
      case 'nothing-to-abort':
        return 'No partitioning upgrade is under way: nothing to abort.';
      case 'stopped':
        return `Stopped after --max-batches (${copied}); run ${cliCommand('partitions upgrade')} again to go on.`;
      default:
        return [
          `Moved the audit log into partitions by ${r.interval} (${r.ahead} ahead): ${r.transactions} transaction(s) and ${r.changes} change(s); ${copied}.`,
          `The tables as they were are kept beside them, without indexes or grants: run ${cliCommand('verify-integrity')}, then drop them:`,
          `  ${r.dropWhenVerified}`,
          `Set capture.partitioning in the app's options if it is not set yet, then run ${cliCommand('install')}.`,
        ].join('\n');
    }
  },
};

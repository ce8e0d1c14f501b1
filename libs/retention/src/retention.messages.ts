import { gotText } from '@threadline/core';
/**
 * The texts @threadline/retention returns or logs (option problems, purge
 * results that did not run, log lines), in one place; each says how to fix
 * the problem. Thrown errors are in retention.errors.ts.
 */
import type { BusyPartition, PartitionPurged, PurgeResult } from './purge.types';
import type { LegalHold } from './legal-hold.types';

/** Option problems (`retention...`). */
export const ONE_WINDOW = 'retention needs exactly one of keepDays or maxAgeSeconds (a positive integer)';

export function notPositiveInteger(path: string, got: unknown): string {
  return `${path} must be a positive integer ${gotText(got)}`;
}

export function notBoolean(path: string, got: unknown): string {
  return `${path} must be true or false ${gotText(got)}`;
}

export function notOneOf(path: string, got: unknown, allowed: readonly string[]): string {
  return `${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} ${gotText(got)}`;
}

export function invalidSchedule(got: unknown): string {
  return `retention.schedule must be a cron expression such as '0 3 * * *' ${gotText(got)}`;
}

export const TABLES_NOT_AN_OBJECT = 'retention.tables must be an object such as { sessions: { keepDays: 7 } }';

export function tableWindowUnknownOption(name: string, key: string): string {
  return `retention.tables.${name}.${key} is not a known option (allowed: keepDays, maxAgeSeconds)`;
}

export function tableNeedsOneWindow(name: string): string {
  return `retention.tables.${name} needs exactly one of keepDays or maxAgeSeconds (a positive integer)`;
}

export function tablesNotInDatabase(missing: string[]): string {
  return `retention.tables names ${missing.join(', ')}, not a table in the database`;
}

/** Why a purge did not run (PurgeResult.reason). */
export const NOT_CONFIGURED =
  'retention is not configured (ThreadlineModule.forRoot({ retention: { keepDays, enabled } }))';

export const ARCHIVE_REFUSED =
  'this database is an archive of the audit log (its audit_seals are a table of a logical replication subscription): it keeps what the source purges, so nothing is purged here; run retention on the source (docs/scale.md, "Archive on a second PostgreSQL")';
export const DISABLED =
  'retention.enabled is false: destructive purges refuse to run until it is true (a dry run is allowed)';

export function purgeBusy(holder: string, expiresAt: string): string {
  return `another purge is running (${holder} holds the retention lease until ${expiresAt}); nothing deleted`;
}

/** Scheduler log lines. */
export const NO_SCHEDULER =
  "retention.schedule is set but @nestjs/schedule's ScheduleModule.forRoot() is not imported here: no scheduled purges in this process";

export const TICK_SKIPPED = 'threadline retention purge skipped: the previous scheduled run is still going';

export function scheduledPurgeFailed(error: unknown): string {
  return `threadline retention purge failed: ${error instanceof Error ? error.message : String(error)}`;
}

export function scheduled(schedule: string): string {
  return `scheduled purges: ${schedule}`;
}

export function scheduledPurgeNotCompleted(status: string, reason: string): string {
  return `threadline retention purge ${status}: ${reason}`;
}

/** Purge progress log lines; their counts follow as key=value fields (logLine). */
export function batchDone(batch: number): string {
  return `threadline retention purge batch ${batch} done`;
}

export function purgeDone(reachedMax: boolean): string {
  return `threadline retention purge done: ${reachedMax ? 'max_batches reached, eligible rows remain for the next run' : 'all eligible rows deleted'}`;
}

/** The `retention:partition` log line and the summary's line per range dropped or detached whole. */
export function partitionDone(p: PartitionPurged, dryRun = false): string {
  const verb = dryRun ? (p.action === 'detached' ? 'would detach' : 'would drop') : p.action;
  return `${verb} partitions ${p.changesPartition} and ${p.transactionsPartition} (transactions begun from ${p.from} to ${p.to}): ${p.changes} changes, ${p.transactions} transactions, ${p.sealedTransactions} sealed (recorded in the purge ledger)`;
}

/** The `retention:partition-busy` warning and the summary's line: a range left whole for the next run. */
export function partitionBusy(p: BusyPartition): string {
  return `left partition ${p.changesPartition} (transactions begun from ${p.from} to ${p.to}) whole for the next run: ${p.reason}`;
}

/** Why a range after a busy one was not tried (BusyPartition.reason). */
export function notTried(busy: string): string {
  return `not tried: the locks of ${busy} before it were held, and the same holder holds the parent tables`;
}

/** `retention purge`: what a completed run did (or, dry, would do). */
export function purgeSummary(r: Extract<PurgeResult, { status: 'completed' }>): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  return [
    `${r.dryRun ? 'Dry run: ' : ''}${verb} ${r.deletedChanges} changes and ${r.deletedTransactions} empty transactions captured before ${r.cutoff}`,
    `batches: ${r.batchesRun} of at most ${r.maxBatches}${r.maxBatchesReached ? ' (max reached: eligible rows remain for the next run)' : ''}`,
    ...r.partitions.map((p) => partitionDone(p, r.dryRun)),
    ...r.busyPartitions.map(partitionBusy),
    ...holdsKept(r),
    `duration: ${r.durationMs} ms`,
  ].join('\n');
}

/** Why a stored hold cannot be read (LegalHoldUnreadableError). */
export const HOLD_NOT_AN_OBJECT = 'its filters are not a JSON object';
export const HOLD_NO_FILTER = 'its filters select every change';

export function holdFilterNotStored(name: string, allowed: string[]): string {
  return `its filter ${JSON.stringify(name)} is not one \`retention hold\` stores (a text value of one of ${allowed.join(', ')})`;
}

export function holdNotAsWritten(written: Record<string, string>): string {
  return `its filters are not as \`retention hold\` writes them (it would write ${JSON.stringify(written)})`;
}

export function holdTimeWithoutZone(bound: string): string {
  return `its ${bound} names no time zone, so each purge would read it in its own session's`;
}

/** Stored text as a terminal should show it: control characters (a hand edit could hold some) as escapes. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `retention hold`, `holds`, `release-hold`: one hold, then the list. */
export function holdListed(h: LegalHold): string {
  const filters = Object.entries(h.filters)
    .map(([k, v]) => printable(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`))
    .join(' ');
  const released = h.released
    ? `\n  released ${h.released.at} by ${printable(h.released.by)}: ${printable(h.released.reason)}`
    : '';
  return `hold ${h.id} (${h.released ? 'released' : 'in force'}): ${filters}\n  set ${h.heldAt} by ${printable(h.heldBy)}: ${printable(h.reason)}${released}`;
}

/** `retention hold`: the hold, and how many changes it covers already (0: check the filters). */
export function holdSet(h: LegalHold, covers: number, cap: number): string {
  const now =
    covers === 0
      ? 'it covers no change captured so far: check the filters (it will cover matching changes captured later)'
      : `it covers ${covers >= cap ? `at least ${cap}` : covers} change${covers === 1 ? '' : 's'} captured so far, and matching changes captured later`;
  return `${holdListed(h)}\n  ${now}`;
}

export function holdsListed(holds: LegalHold[], all: boolean): string {
  if (!holds.length) return all ? 'no legal holds' : 'no legal holds in force';
  return holds.map(holdListed).join('\n');
}

/** The purge summary's line per hold in force: what it kept (counted by a dry run). */
function holdsKept(r: Extract<PurgeResult, { status: 'completed' }>): string[] {
  return r.holds.map(
    (h) =>
      `kept under legal hold ${h.id} (${printable(h.reason)}, set by ${printable(h.heldBy)})${h.keptChanges === undefined ? '' : `: ${h.keptChanges} changes otherwise eligible`}`,
  );
}

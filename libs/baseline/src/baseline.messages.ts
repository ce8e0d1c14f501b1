/**
 * The texts @threadline/baseline prints (the baseline command's report), in one place. Thrown errors are in
 * baseline.errors.ts.
 */
import { BaselineResult } from './baseline.types';

export function describeBaseline(r: BaselineResult): string {
  const tx = r.transactionId ? ` (baseline transaction ${r.transactionId})` : '';
  switch (r.status) {
    case 'dry_run':
      return `${r.table}: dry run, nothing written. ${r.rowsWithoutHistory} rows without history would get a snapshot, in about ${Math.ceil(r.rowsWithoutHistory / r.batchSize)} batches of ${r.batchSize}${r.resumed ? `; an interrupted baseline with ${r.snapshots} snapshots would be resumed${tx}` : ''}. Run again with --execute to write them.`;
    case 'nothing_to_do':
      return `${r.table}: every row already has history; no baseline needed.`;
    case 'busy':
      return `${r.table}: another baseline of this table is running; nothing written.`;
    case 'stopped':
      return `${r.table}: stopped after ${r.batches} batches, ${r.written} snapshots written (${r.snapshots} in all)${tx}. Run the same command again to resume.`;
    case 'complete':
      return `${r.table}: baseline complete${r.resumed ? ' (resumed)' : ''}: ${r.written} snapshots written in ${r.batches} batches, ${r.snapshots} in all${tx}. history() and asOf() answer for these rows from now on.`;
  }
}

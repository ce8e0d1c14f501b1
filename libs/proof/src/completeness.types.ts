/**
 * A row whose history does not end where the table is: a current row with
 * no history (`no_history`), one whose latest captured image differs
 * (`divergent`), one the history says is gone (`latest_is_delete`: deleted,
 * moved to another key, or emptied by a later TRUNCATE), or a row the
 * history says exists that the table no longer holds (`missing`: deleted
 * or truncated while capture was off).
 */
export interface CompletenessGap {
  /** The row's primary key. */
  key: Record<string, unknown>;
  problem: 'no_history' | 'divergent' | 'latest_is_delete' | 'missing';
  /** For `divergent`: the columns whose current value differs from the latest captured image. */
  columns?: string[];
}

export interface TableCompleteness {
  table: string;
  /** Rows checked (every current row). */
  rows: number;
  withoutHistory: number;
  /** Current rows whose latest captured image differs, or whose history says they are gone. */
  divergent: number;
  /** Keys the history says exist that the table does not hold. */
  missing: number;
  /** The first gaps found (at most `listLimit` per table). */
  gaps: CompletenessGap[];
  /** Why the table could not be checked (not a table, no capture deployed). */
  problem?: string;
}

export interface CompletenessReport {
  ok: boolean;
  tables: TableCompleteness[];
  durationMs: number;
}

export interface CompletenessOptions {
  /** Tables to check (`table` or `schema.table`); default: capture.tables. */
  tables?: string[];
  /** Rows per batch (keyset walk of the primary key). @default 1000 */
  batchSize?: number;
  /** Gaps listed per table (all are counted). @default 100 */
  listLimit?: number;
  onProgress?: (table: string, rows: number) => void;
}

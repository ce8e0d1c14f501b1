import { ident, literal, qualified, textArray } from '@threadline/core';
import { ColumnDescription, TableDescription } from '../catalog/table-description';
import { ResolvedCaptureOptions, ResolvedTableCaptureOptions } from '../capture.options';

/** Marks the one audit transaction a baseline's snapshots are stored under. */
export const BASELINE_SOURCE = 'threadline:baseline';

/** The statements of one baseline batch; each comes in a first-batch form and a form taking the cursor (a table_pk object). */
export interface SnapshotSql {
  /** Locks the next rows without history: params [cursor?, limit]; returns `locked` (count) and `last_pk`. */
  lock: { first: string; next: string };
  /** Writes their snapshots under transaction $1: params [transactionId, cursor?, lastPk]; returns `written`. */
  write: { first: string; next: string };
  /** Counts the rows without history. */
  remaining: string;
}

/**
 * One batch of a baseline, in two statements of one transaction. The first
 * takes FOR SHARE locks on the next rows after the cursor that have no
 * captured change: a writer already changing one makes it wait, and a later
 * writer waits for the batch (at most one batch) and is captured after the
 * snapshot. The second, with a fresh statement snapshot, writes a `snapshot`
 * change for each row in the locked key range that still has no change (a
 * writer that committed while the lock waited gave its row history), with
 * the same redacted image an insert gets. So no row's snapshot comes after
 * another change of that row.
 */
export function generateSnapshotSql(
  table: TableDescription,
  options: ResolvedTableCaptureOptions,
  global: Pick<ResolvedCaptureOptions, 'auditSchema' | 'maskPlaceholder'>,
): SnapshotSql {
  const target = qualified(table.schema, table.table);
  const changes = qualified(global.auditSchema, 'audit_changes');
  const transactions = qualified(global.auditSchema, 'audit_transactions');
  const b = new ImageBuilder(table, options, global.maskPlaceholder);
  const order = (dir = '') => table.primaryKey.map((k) => `n.${ident(k)}${dir}`).join(', ');
  const compare = (op: string, param: string) => {
    const keys = table.primaryKey.map((k) => `n.${ident(k)}`);
    const values = table.primaryKey.map((k) => `(${param}::jsonb ->> ${literal(k)})::${b.column(k).type}`);
    return keys.length === 1 ? `${keys[0]} ${op} ${values[0]}` : `(${keys.join(', ')}) ${op} (${values.join(', ')})`;
  };
  const historyOf = `FROM ${changes} AS c
    WHERE c.table_name = ${literal(table.table)} AND c.table_pk = ${b.primaryKey('n')} AND c.table_schema = ${literal(table.schema)}`;
  // In a batch, a scalar subquery (never turned into a join) probes the (table_name, table_pk) index once per
  // row. As NOT EXISTS, with statistics from before the baseline the planner materialized every change of the
  // table and compared each row against all of them: batches grew to 17 s, holding their locks on writers.
  const withoutHistory = `(SELECT c.id ${historyOf}
    LIMIT 1) IS NULL`;
  const lock = (cursor: boolean) => `WITH locked AS (
  SELECT n.* FROM ${target} AS n
  WHERE ${cursor ? `${compare('>', '$1')} AND ` : ''}${withoutHistory}
  ORDER BY ${order()}
  LIMIT $${cursor ? 2 : 1}
  FOR SHARE OF n
)
SELECT (SELECT count(*) FROM locked)::int AS locked,
  (SELECT ${b.primaryKey('n')} FROM locked AS n ORDER BY ${order(' DESC')} LIMIT 1) AS last_pk`;
  const write = (
    cursor: boolean,
  ) => `INSERT INTO ${changes} (transaction_id, table_schema, table_name, op, table_pk, data_after, transaction_occurred_at)
SELECT $1::uuid, ${literal(table.schema)}, ${literal(table.table)}, 'snapshot', ${b.primaryKey('n')}, ${b.image('n')},
  (SELECT t.occurred_at FROM ${transactions} AS t WHERE t.id = $1::uuid)
FROM ${target} AS n
WHERE ${cursor ? `${compare('>', '$2')} AND ` : ''}${compare('<=', cursor ? '$3' : '$2')} AND ${withoutHistory}
ORDER BY ${order()}`;
  return {
    lock: { first: lock(false), next: lock(true) },
    write: { first: write(false), next: write(true) },
    // Counting the whole table, an anti-join is the right plan.
    remaining: `SELECT count(*)::bigint AS n FROM ${target} AS n WHERE NOT EXISTS (SELECT 1 ${historyOf})`,
  };
}

/** Builds the redacted row images and column expressions of one table. */
class ImageBuilder {
  private readonly byName: Map<string, ColumnDescription>;

  constructor(
    private readonly table: TableDescription,
    private readonly options: ResolvedTableCaptureOptions,
    private readonly placeholder: string,
  ) {
    this.byName = new Map(table.columns.map((c) => [c.name, c]));
  }

  column(name: string): ColumnDescription {
    return this.byName.get(name)!;
  }

  /** `to_jsonb` of the row with excluded keys removed and masked values replaced. */
  image(alias: string): string {
    let expr = `to_jsonb(${alias}.*)`;
    if (this.options.exclude.length > 0) expr = `(${expr} - ${textArray(this.options.exclude)})`;
    if (this.options.mask.length > 0) {
      const masked = this.options.mask.map((c) => `${literal(c)}, ${literal(this.placeholder)}::text`).join(', ');
      expr = `(${expr} || jsonb_build_object(${masked}))`;
    }
    return expr;
  }

  primaryKey(alias: string): string {
    return `jsonb_build_object(${this.table.primaryKey.map((k) => `${literal(k)}, ${alias}.${ident(k)}`).join(', ')})`;
  }
}

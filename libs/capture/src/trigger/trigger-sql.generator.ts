import { createHash } from 'crypto';
import { ColumnDescription, TableDescription } from '../catalog/table-description';
import { ResolvedCaptureOptions, ResolvedTableCaptureOptions } from '../capture.options';
import { ident, literal, qualified, textArray } from '../sql/quote';
import { TRANSACTION_FUNCTION } from '../schema/audit-schema.sql';
import { TRIGGER_EVENTS, triggerNameFor } from './trigger-names';

export interface GeneratedSql {
  up: string;
  down: string;
}

/** What the stamp on a generated function records, so deployed redaction can be read back and compared. */
export interface TriggerStamp {
  version: 1;
  table: string;
  exclude: string[];
  mask: string[];
  maskPlaceholder: string;
  exceptColumns: string[];
  storeChangedFrom: boolean;
  recordNoopUpdates: boolean;
  /** sha256 of the function body as generated: a body changed by hand no longer matches it. */
  bodySha256: string;
}

export const STAMP_PREFIX = 'threadline:';

type GlobalCaptureSettings = Pick<ResolvedCaptureOptions, 'auditSchema' | 'maskPlaceholder' | 'recordNoopUpdates'>;

/**
 * Problems between a table's capture settings and the live catalog: each one
 * says what is wrong and how to fix it. Empty when generation can proceed.
 */
export function catalogProblems(description: TableDescription | undefined, options: ResolvedTableCaptureOptions): string[] {
  const name = `${options.schema}.${options.table}`;
  if (!description) {
    return [`table ${name} does not exist in the database; create it (run your migrations) or fix the name`];
  }
  const problems: string[] = [];
  if (description.primaryKey.length === 0) {
    problems.push(`table ${name} has no primary key; audit rows are keyed by it, so add one before capturing this table`);
  }
  const columns = new Set(description.columns.map((c) => c.name));
  for (const setting of ['exclude', 'mask', 'exceptColumns'] as const) {
    const unknown = options[setting].filter((column) => !columns.has(column));
    if (unknown.length > 0) {
      problems.push(`${name}: ${setting} names unknown column(s) ${unknown.join(', ')}; the table has ${[...columns].join(', ')}`);
    }
  }
  const both = options.exclude.filter((column) => options.mask.includes(column));
  if (both.length > 0) problems.push(`${name}: column(s) ${both.join(', ')} are both excluded and masked; choose one`);
  const redactedKey = description.primaryKey.filter((column) => options.exclude.includes(column) || options.mask.includes(column));
  if (redactedKey.length > 0) {
    problems.push(`${name}: primary-key column(s) ${redactedKey.join(', ')} cannot be excluded or masked; history is looked up by the key`);
  }
  return problems;
}

/**
 * The SQL that installs capture on one table: a statement-level AFTER trigger
 * with transition tables, so a statement touching N rows runs the audit logic
 * once with set-based inserts instead of N times. Output is deterministic
 * (same catalog and options, same text) so drift can be detected by comparison.
 */
export function generateTriggerSql(table: TableDescription, options: ResolvedTableCaptureOptions, global: GlobalCaptureSettings): GeneratedSql {
  const name = triggerNameFor(table.table);
  const fn = qualified(table.schema, name);
  const target = qualified(table.schema, table.table);
  const changes = qualified(global.auditSchema, 'audit_changes');
  const txFn = `(SELECT ${qualified(global.auditSchema, TRANSACTION_FUNCTION)}())`;
  const b = new ImageBuilder(table, options, global.maskPlaceholder);

  const insertColumns = 'transaction_id, table_schema, table_name, op, table_pk';
  const fixed = `${txFn}, ${literal(table.schema)}, ${literal(table.table)}`;

  const insertBranch = `INSERT INTO ${changes} (${insertColumns}, data_after)
    SELECT ${fixed}, 'insert', ${b.primaryKey('n')}, ${b.image('n')}
    FROM threadline_new AS n;`;

  const deleteBranch = `INSERT INTO ${changes} (${insertColumns})
    SELECT ${fixed}, 'delete', ${b.primaryKey('o')}
    FROM threadline_old AS o;`;

  // Old and new images are paired by their position in the transition tables:
  // PostgreSQL stores both images of each updated row together, so the pairing
  // holds even when an UPDATE changes the primary key itself.
  // PL/pgSQL caches this query's plan from its first call; the function's
  // settings (jit, nestloop and mergejoin off) keep a plan made for one row
  // from pairing 100,000 rows with a nested loop later in the same session.
  // Columns are read as plain columns of each side (not fields of a row
  // value, which PostgreSQL re-walks from the first column on every access),
  // and the inner query (OFFSET 0: not flattened) computes each row's image
  // and changed list once.
  const taken = new Set(table.columns.map((c) => c.name));
  const ord = freeName('threadline_ord', taken);
  const img = freeName('threadline_image', taken);
  const tracked = table.columns.filter((c) => !options.exceptColumns.includes(c.name));
  const listed = tracked.filter((c) => !options.exclude.includes(c.name));
  const hidden = tracked.filter((c) => options.exclude.includes(c.name)).map((c) => b.differs(c));
  const keep = global.recordNoopUpdates ? 'true' : 'cardinality(x.changed) > 0 OR x.hidden_change';
  const keyChanged = table.primaryKey.map((k) => b.differs(b.column(k))).join(' OR ');
  const changedFrom = options.storeChangedFrom
    ? `(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(x.old_image) AS e WHERE e.key = ANY (x.changed))`
    : 'NULL';
  const changedList =
    listed.length === 0
      ? `'{}'::text[]`
      : `array_remove(ARRAY[\n          ${listed.map((c) => `CASE WHEN ${b.differs(c)} THEN ${literal(c.name)} END`).join(',\n          ')}\n        ]::text[], NULL)`;
  const oldImage = options.storeChangedFrom ? `, ${b.image('o')} AS ${ident(img)}` : '';

  const updateBranch = `INSERT INTO ${changes} (${insertColumns}, previous_pk, data_after, changed_fields, changed_from)
    SELECT ${fixed}, 'update', x.pk, x.previous_pk, x.image, x.changed, ${changedFrom}
    FROM (
      SELECT ${b.primaryKey('n')} AS pk,
        CASE WHEN ${keyChanged} THEN ${b.primaryKey('o')} END AS previous_pk,
        n.${ident(img)} AS image,${options.storeChangedFrom ? `\n        o.${ident(img)} AS old_image,` : ''}
        ${changedList} AS changed,
        ${hidden.length ? hidden.join(' OR ') : 'false'} AS hidden_change
      FROM (SELECT row_number() OVER () AS ${ident(ord)}${oldImage}, o.* FROM threadline_old AS o) AS o
      JOIN (SELECT row_number() OVER () AS ${ident(ord)}, ${b.image('n')} AS ${ident(img)}, n.* FROM threadline_new AS n) AS n
        ON n.${ident(ord)} = o.${ident(ord)}
      OFFSET 0
    ) AS x
    WHERE ${keep};`;

  const stamp: TriggerStamp = {
    version: 1,
    table: `${table.schema}.${table.table}`,
    exclude: options.exclude,
    mask: options.mask,
    maskPlaceholder: global.maskPlaceholder,
    exceptColumns: options.exceptColumns,
    storeChangedFrom: options.storeChangedFrom,
    recordNoopUpdates: global.recordNoopUpdates,
    bodySha256: '',
  };
  const body = `
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${insertBranch}
  ELSIF TG_OP = 'UPDATE' THEN
    ${updateBranch}
  ELSIF TG_OP = 'DELETE' THEN
    ${deleteBranch}
  END IF;
  RETURN NULL;
END
`;
  stamp.bodySha256 = createHash('sha256').update(body).digest('hex');
  const tag = dollarTag(body);
  const up = `-- Threadline capture for ${table.schema}.${table.table}
CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
LANGUAGE plpgsql
SET jit = off
SET enable_nestloop = off
SET enable_mergejoin = off
AS ${tag}${body}${tag};
COMMENT ON FUNCTION ${fn}() IS ${literal(STAMP_PREFIX + JSON.stringify(stamp))};
${TRIGGER_EVENTS.map(
  (e) => `DROP TRIGGER IF EXISTS ${ident(name + e.suffix)} ON ${target};
CREATE TRIGGER ${ident(name + e.suffix)}
AFTER ${e.event} ON ${target}
REFERENCING ${e.referencing}
FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
`,
).join('')}`;
  const down = `${TRIGGER_EVENTS.map((e) => `DROP TRIGGER IF EXISTS ${ident(name + e.suffix)} ON ${target};\n`).join('')}DROP FUNCTION IF EXISTS ${fn}();
`;
  return { up, down };
}

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
export function generateSnapshotSql(table: TableDescription, options: ResolvedTableCaptureOptions, global: Pick<GlobalCaptureSettings, 'auditSchema' | 'maskPlaceholder'>): SnapshotSql {
  const target = qualified(table.schema, table.table);
  const changes = qualified(global.auditSchema, 'audit_changes');
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
  const write = (cursor: boolean) => `INSERT INTO ${changes} (transaction_id, table_schema, table_name, op, table_pk, data_after)
SELECT $1::uuid, ${literal(table.schema)}, ${literal(table.table)}, 'snapshot', ${b.primaryKey('n')}, ${b.image('n')}
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
    let expr = `to_jsonb(${alias})`;
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

  /** Old and new value of a column differ (text comparison for types without `=`, such as json). */
  differs(column: ColumnDescription): string {
    const cast = column.comparable ? '' : '::text';
    return `o.${ident(column.name)}${cast} IS DISTINCT FROM n.${ident(column.name)}${cast}`;
  }
}

/** `base`, or `base_1`, `base_2`... whichever is not a column of the table. */
function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** A dollar-quote tag that does not occur in the body, so no column name can end the function early. */
function dollarTag(body: string): string {
  let tag = '$threadline$';
  for (let i = 1; body.includes(tag); i++) tag = `$threadline${i}$`;
  return tag;
}

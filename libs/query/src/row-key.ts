import { describeTables, parseTableName } from '@threadline/capture';
import { isLosslessNumber, literal, parseStoredJson, SqlParams } from '@threadline/core';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { InvalidPageError, InvalidRecordError } from './query.errors';

export function tableOf<E extends ObjectLiteral>(
  dataSource: DataSource,
  target: string | EntityTarget<E>,
): { schema: string; table: string } {
  if (typeof target === 'string') return parseTableName(target);
  const metadata = dataSource.getMetadata(target);
  return { schema: metadata.schema ?? 'public', table: metadata.tableName };
}

/**
 * `c` is the row: its key now, or its key before an UPDATE that changed it.
 * The key is rebuilt with each column's own type, so 1 and '1' match and the
 * comparison is one jsonb equality the row index serves.
 *
 * With `truncatesIn` (the quoted audit_changes table), `c` may also be a
 * TRUNCATE of the row's table captured after one of the row's changes: the
 * truncate removed the row, so its history and as-of answers include it.
 */
export async function rowCondition<E extends ObjectLiteral>(
  dataSource: DataSource,
  target: string | EntityTarget<E>,
  primaryKey: unknown,
  truncatesIn?: string,
): Promise<(params: SqlParams) => string[]> {
  const table = tableOf(dataSource, target);
  const [description] = await describeTables(dataSource, [table]);
  if (!description) throw InvalidRecordError.notATable(`${table.schema}.${table.table}`);
  const keyColumns = description.primaryKey;
  let key: Record<string, unknown>;
  if (primaryKey !== null && typeof primaryKey === 'object' && !(primaryKey instanceof Date)) {
    key = primaryKey as Record<string, unknown>;
    if (typeof target !== 'string') {
      // entity property names to column names
      const metadata = dataSource.getMetadata(target);
      key = Object.fromEntries(
        Object.entries(key).map(([k, v]) => [metadata.findColumnWithPropertyName(k)?.databaseName ?? k, v]),
      );
    }
  } else {
    if (keyColumns.length !== 1) {
      throw InvalidRecordError.compositeKey(`${table.schema}.${table.table}`, keyColumns);
    }
    key = { [keyColumns[0]]: primaryKey };
  }
  const given = Object.keys(key).sort();
  if (given.join() !== [...keyColumns].sort().join()) {
    throw InvalidRecordError.keyColumns(`${table.schema}.${table.table}`, keyColumns, given);
  }
  await checkKeyValues(dataSource, `${table.schema}.${table.table}`, description.columns, keyColumns, key);
  return (params) => {
    const where = `c.table_schema = ${params.add(table.schema)} AND c.table_name = ${params.add(table.table)}`;
    const pairs = keyColumns.map((column) => {
      const type = description.columns.find((c) => c.name === column)!.type;
      return `${literal(column)}, ${params.add(key[column] === null ? null : String(key[column]))}::text::${type}`;
    });
    const pk = `jsonb_build_object(${pairs.join(', ')})`;
    const own = `(c.table_pk = ${pk} OR c.previous_pk = ${pk})`;
    if (!truncatesIn) return [where, own];
    const removedBy = `(c.op = 'truncate' AND EXISTS (SELECT 1 FROM ${truncatesIn} AS r
      WHERE r.table_schema = c.table_schema AND r.table_name = c.table_name AND r.id < c.id
        AND (r.table_pk = ${pk} OR r.previous_pk = ${pk})))`;
    return [where, `(${own} OR ${removedBy})`];
  };
}

/** Each key value must be a scalar its column's type reads (else an InvalidRecordError, a 400, not a database error). */
async function checkKeyValues(
  dataSource: DataSource,
  table: string,
  columns: { name: string; type: string }[],
  keyColumns: string[],
  key: Record<string, unknown>,
): Promise<void> {
  for (const column of keyColumns) {
    const value = key[column];
    const type = columns.find((c) => c.name === column)!.type;
    if (value === null) continue;
    const shown = isLosslessNumber(value) ? value.toString() : value;
    if (typeof value === 'object' && !isLosslessNumber(value) && !(value instanceof Date))
      throw InvalidRecordError.keyValue(table, column, type, shown);
    try {
      await dataSource.query(`SELECT $1::text::${type}`, [String(value)]);
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      if (code.startsWith('22')) throw InvalidRecordError.keyValue(table, column, type, shown);
      throw error;
    }
  }
}

/** An instance of the entity `target` holding the values of a row image (by column name). */
export function entityOf<E extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<E>,
  image: Record<string, unknown>,
): E {
  const values: Record<string, unknown> = {};
  for (const column of dataSource.getMetadata(target).columns)
    if (column.databaseName in image) values[column.propertyName] = image[column.databaseName];
  return dataSource.manager.create(target, values as never) as E;
}

/** A change id (`at=`, `change=`): a positive bigint as text; else InvalidPageError naming the parameter. */
export function checkChangeId(changeId: unknown, name = 'at'): string {
  if (typeof changeId !== 'string' || !/^[1-9][0-9]{0,18}$/.test(changeId) || BigInt(changeId) > 2n ** 63n - 1n)
    throw InvalidPageError.changeId(changeId, name);
  return changeId;
}

/**
 * The key (`table_pk`) of the row change `changeId` (checked) made in `table`, for the history route's `change=`:
 * a key too long for a URL is named by one of its changes. InvalidPageError when it is no change of a row of `table`.
 */
export async function keyOfChange(
  dataSource: DataSource,
  changes: string,
  table: string,
  changeId: unknown,
): Promise<Record<string, unknown>> {
  const id = checkChangeId(changeId, 'change');
  const { schema, table: name } = parseTableName(table);
  const [row]: { pk: string }[] = await dataSource.query(
    `SELECT c.table_pk::text AS pk FROM ${changes} AS c
     WHERE c.id = $1::bigint AND c.table_schema = $2 AND c.table_name = $3 AND c.op <> 'truncate'`,
    [id, schema, name],
  );
  if (!row) throw InvalidPageError.changeNotOfTable(id, `${schema}.${name}`);
  return parseStoredJson<Record<string, unknown>>(row.pk);
}

import { TableDescription } from '../catalog/table-description';
import { ResolvedTableCaptureOptions } from '../capture.options';

/**
 * Problems between a table's capture settings and the live catalog: each one
 * says what is wrong and how to fix it. Empty when generation can proceed.
 */
export function catalogProblems(
  description: TableDescription | undefined,
  options: ResolvedTableCaptureOptions,
): string[] {
  const name = `${options.schema}.${options.table}`;
  if (!description) {
    return [`table ${name} does not exist in the database; create it (run your migrations) or fix the name`];
  }
  const problems: string[] = [];
  if (description.primaryKey.length === 0) {
    problems.push(
      `table ${name} has no primary key; audit rows are keyed by it, so add one before capturing this table`,
    );
  }
  const columns = new Set(description.columns.map((c) => c.name));
  for (const setting of ['exclude', 'mask', 'exceptColumns'] as const) {
    const unknown = options[setting].filter((column) => !columns.has(column));
    if (unknown.length > 0) {
      problems.push(
        `${name}: ${setting} names unknown column(s) ${unknown.join(', ')}; the table has ${[...columns].join(', ')}. If a column was renamed, name it by its new name: deployed capture already applies ${setting} to it there (verify-coverage says which)`,
      );
    }
  }
  const both = options.exclude.filter((column) => options.mask.includes(column));
  if (both.length > 0) problems.push(`${name}: column(s) ${both.join(', ')} are both excluded and masked; choose one`);
  const redactedKey = description.primaryKey.filter(
    (column) => options.exclude.includes(column) || options.mask.includes(column),
  );
  if (redactedKey.length > 0) {
    problems.push(
      `${name}: primary-key column(s) ${redactedKey.join(', ')} cannot be excluded or masked; history is looked up by the key`,
    );
  }
  return problems;
}

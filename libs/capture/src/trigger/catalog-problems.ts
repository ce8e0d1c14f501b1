import { TableDescription } from '../catalog/table-description';
import { ResolvedTableCaptureOptions } from '../capture.options';
import { excludedAndMasked, noPrimaryKey, redactedPrimaryKey, tableMissing, unknownColumns } from '../capture.messages';

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
    return [tableMissing(name)];
  }
  const problems: string[] = [];
  if (description.primaryKey.length === 0) {
    problems.push(noPrimaryKey(name));
  }
  const columns = new Set(description.columns.map((c) => c.name));
  for (const setting of ['exclude', 'mask', 'exceptColumns'] as const) {
    const unknown = options[setting].filter((column) => !columns.has(column));
    if (unknown.length > 0) {
      problems.push(unknownColumns(name, setting, unknown, [...columns]));
    }
  }
  const both = options.exclude.filter((column) => options.mask.includes(column));
  if (both.length > 0) problems.push(excludedAndMasked(name, both));
  const redactedKey = description.primaryKey.filter(
    (column) => options.exclude.includes(column) || options.mask.includes(column),
  );
  if (redactedKey.length > 0) {
    problems.push(redactedPrimaryKey(name, redactedKey));
  }
  return problems;
}

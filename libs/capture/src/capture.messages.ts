/**
 * The problems @threadline/capture returns (catalog checks, option
 * problems), in one place; each says what is wrong and how to fix it.
 * Thrown errors are in capture.errors.ts.
 */

export function tableMissing(name: string): string {
  return `table ${name} does not exist in the database; create it (run your migrations) or fix the name`;
}

export function noPrimaryKey(name: string): string {
  return `table ${name} has no primary key; audit rows are keyed by it, so add one before capturing this table`;
}

export function unknownColumns(name: string, setting: string, unknown: string[], columns: string[]): string {
  return `${name}: ${setting} names unknown column(s) ${unknown.join(', ')}; the table has ${columns.join(', ')}. If a column was renamed, name it by its new name: deployed capture already applies ${setting} to it there (verify-coverage says which)`;
}

export function excludedAndMasked(name: string, columns: string[]): string {
  return `${name}: column(s) ${columns.join(', ')} are both excluded and masked; choose one`;
}

export function redactedPrimaryKey(name: string, columns: string[]): string {
  return `${name}: primary-key column(s) ${columns.join(', ')} cannot be excluded or masked; history is looked up by the key`;
}

export function auditTablesMissing(auditSchema: string): string {
  return `the audit tables are not in schema "${auditSchema}"; run the install migration first (the install command writes it; then run your migrations)`;
}

export function auditTableNotAuditable(name: string): string {
  return `${name} is one of Threadline's own audit tables and cannot be audited`;
}

/** Option problems (`capture.tables...`). */
export function emptyTableName(path: string): string {
  return `${path}.tables has an empty table name`;
}

export function optionExcludedAndMasked(path: string, columns: string[]): string {
  return `${path}: column(s) ${columns.join(', ')} are both excluded and masked; a column may be in exclude or in mask, not both`;
}

import { auditSchemaSetting, ident, literal } from '@threadline/core';
import { InstallSqlPlaceholderError } from '../capture.errors';
import { readFileSync } from 'fs';
import * as path from 'path';

/**
 * The install SQL lives in plain `.sql` files (libs/capture/sql, `sql/` in
 * the package; sql/README.md says how to read and change them). This module
 * only reads them and puts the audit schema's name in. `src/schema` and
 * `dist/schema` both sit two levels below the package root, so the same
 * relative path finds them in the workspace, in its build and in the tarball.
 */
export const INSTALL_SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');

/** A line that starts with `--#` is a note for readers of the file: it is not part of the install SQL. */
const READER_NOTE = /^--#.*(?:\n|$)/gm;
/** `:AUDIT_` and capitals, not after a colon (a `::` cast); it may end a name (`threadline_ddl:AUDIT_SUFFIX`). */
const PLACEHOLDER = /(?<!:):AUDIT_[A-Z_]+\b/g;

const texts = new Map<string, string>();

/** A file's text without its reader notes, read once. */
function sqlFile(name: string): string {
  let text = texts.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(INSTALL_SQL_DIR, `${name}.sql`), 'utf8')
      .replace(/\r\n/g, '\n')
      .replace(READER_NOTE, '');
    texts.set(name, text);
  }
  return text;
}

/**
 * What each placeholder stands for, for one audit schema: the name in every
 * form the SQL needs it, all quoted by core's helpers (`ident`, `literal`).
 * The `_IN_LITERAL` and `_IN_FORMAT` forms are for a name written inside a
 * string literal (quotes doubled) or inside a `format()` string (`%` doubled).
 */
export function installSqlPlaceholders(auditSchema: string): Record<string, string> {
  const inLiteral = (text: string) => text.replace(/'/g, "''");
  const inFormat = (text: string) => text.replace(/%/g, '%%');
  const schema = ident(auditSchema);
  return {
    ':AUDIT_SCHEMA': schema,
    ':AUDIT_SCHEMA_IN_LITERAL': inLiteral(schema),
    ':AUDIT_SCHEMA_IN_FORMAT': inFormat(schema),
    ':AUDIT_SCHEMA_IN_FORMAT_LITERAL': inFormat(inLiteral(schema)),
    ':AUDIT_SCHEMA_LITERAL': literal(auditSchema),
    ':AUDIT_SCHEMA_NAME_IN_LITERAL': inLiteral(auditSchema),
    // What a second audit schema's settings and event trigger names end in (none for `public`).
    ':AUDIT_SUFFIX': auditSchemaSetting('', auditSchema),
  };
}

/** The install SQL files `names` (without `.sql`, in this order) for `auditSchema`, one after the other. */
export function installSql(auditSchema: string, ...names: string[]): string {
  const values = installSqlPlaceholders(auditSchema);
  return names
    .map((name) =>
      sqlFile(name).replace(PLACEHOLDER, (placeholder) => {
        const value = values[placeholder];
        if (value === undefined) throw InstallSqlPlaceholderError.create(placeholder, name);
        return value;
      }),
    )
    .join('');
}

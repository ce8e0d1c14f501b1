import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS } from '@threadline/query';

/** What a format writes around and between the lines PostgreSQL formats for it (see ExportService.chunks). */
export interface ExportFormatSpec<Name extends string = string> {
  /** The `format` parameter, `--format` value and file extension. */
  readonly name: Name;
  readonly contentType: string;
  /** The shape of the lines COPY writes: each change as a JSON object, or as a JSON array of its CSV cells. */
  readonly lines: 'ndjson' | 'csv-cells';
  /** What comes before the first change. */
  head(filters: Record<string, string>): string;
  /** A run of whole lines (without the last newline) as the format writes them; `first`: the export's first run. */
  body(lines: string, first: boolean, cell: (value: string) => string): string;
  /** What comes after the last change. */
  tail(meta: { returnedCount: number; truncated: boolean }): string;
}

/**
 * The export formats, one entry each: the HTTP route, the CLI, the pages' export links, the OpenAPI enum and
 * the docs list them from here. CSV is RFC 4180 (csv-stringify) with CSV_COLUMNS as its header; JSON one
 * document (`format_version: 1`, the filters, the changes, the count); NDJSON one change per line.
 */
export const EXPORT_FORMAT_SPECS = [
  {
    name: 'csv',
    contentType: 'text/csv; charset=utf-8',
    lines: 'csv-cells',
    head: () => stringify([[...CSV_COLUMNS]]),
    body: (lines, _first, cell) =>
      lines
        .split('\n')
        .map((line) => csvRecord((JSON.parse(line) as (string | null)[]).map((value) => (value ? cell(value) : value))))
        .join(''),
    tail: () => '',
  },
  {
    name: 'json',
    contentType: 'application/json; charset=utf-8',
    lines: 'ndjson',
    head: (filters) =>
      `{"format_version":1,"generated_at":${JSON.stringify(new Date().toISOString())},"filters":${JSON.stringify(filters)},"changes":[`,
    body: (lines, first) => `${first ? '' : ','}${lines.replace(/\n/g, ',')}`,
    tail: (meta) => `],"returned_count":${meta.returnedCount},"truncated":${meta.truncated}}\n`,
  },
  {
    name: 'ndjson',
    contentType: 'application/x-ndjson; charset=utf-8',
    lines: 'ndjson',
    head: () => '',
    body: (lines) => `${lines}\n`,
    tail: () => '',
  },
] as const satisfies readonly ExportFormatSpec<'csv' | 'json' | 'ndjson'>[];

export type ExportFormat = (typeof EXPORT_FORMAT_SPECS)[number]['name'];
export const EXPORT_FORMATS: readonly ExportFormat[] = EXPORT_FORMAT_SPECS.map((f) => f.name);
export const CONTENT_TYPES = Object.fromEntries(EXPORT_FORMAT_SPECS.map((f) => [f.name, f.contentType])) as Record<
  ExportFormat,
  string
>;

/** The formats as prose, upper-cased: `CSV, JSON or NDJSON`. */
export function formatList(): string {
  const names = EXPORT_FORMATS.map((f) => f.toUpperCase());
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The spec of a format name, or undefined. */
export function exportFormat(name: unknown): ExportFormatSpec | undefined {
  return (EXPORT_FORMAT_SPECS as readonly ExportFormatSpec[]).find((f) => f.name === name);
}

/**
 * One CSV record as csv-stringify writes it (RFC 4180: a cell holding a quote, a comma, CR or LF is quoted, its
 * quotes doubled; null is empty; `\n` after it), which a test holds equal to csv-stringify's on random records.
 * Written here because csv-stringify doubles quotes with a callback per quote: a stored value of 8 million quote
 * characters held the event loop for 2.6 s, ten times this.
 */
export function csvRecord(cells: readonly (string | null)[]): string {
  return `${cells.map((value) => (!value ? '' : /[",\r\n]/.test(value) ? `"${doubleQuotes(value)}"` : value)).join(',')}\n`;
}

/** Slices of 64 Ki characters: splitting a whole 100 MB value on its quotes would hold millions of strings at once. */
const QUOTE_SLICE = 1 << 16;

function doubleQuotes(value: string): string {
  if (value.length <= QUOTE_SLICE) return value.split('"').join('""');
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += QUOTE_SLICE)
    parts.push(
      value
        .slice(i, i + QUOTE_SLICE)
        .split('"')
        .join('""'),
    );
  return parts.join('');
}

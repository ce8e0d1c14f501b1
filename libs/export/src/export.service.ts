import { Injectable } from '@nestjs/common';
import { errorType, ExportFinishedEvent, publish, startSpan, THREADLINE_SPANS } from '@threadline/core';
import { AuditQueryService, CSV_COLUMNS, describeFilters, normalizeFilters, TimelineFilters } from '@threadline/query';
import { InvalidExportOptionError } from './export.errors';
import { EXPORT_FORMATS, ExportFormat, exportFormat } from './export-formats';

/** The `error.type` of an export whose consumer stopped reading before its end (a client that went away). */
export const EXPORT_ABORTED = 'ExportAborted';

/** Rows per keyset page of an export: one COPY each, streamed, so the size bounds queries rather than memory. */
const EXPORT_PAGE_ROWS = 10_000;
/** Rows an export returns when the caller sets no cap (HTTP and `exportChanges`); the CLI exports everything. */
export const DEFAULT_EXPORT_MAX_ROWS = 10_000;
/** The largest `maxRows` the HTTP export takes. */
export const HTTP_EXPORT_MAX_ROWS = 1_000_000;

export const CSV_FORMULAS = ['neutralize', 'verbatim'] as const;
export type CsvFormulas = (typeof CSV_FORMULAS)[number];

export interface ExportOptions {
  format: ExportFormat;
  /** Cap on rows; `truncated` says whether more matched. Omit (or null) for no cap. @default 10000 */
  maxRows?: number | null;
  /** Rows per keyset page (one COPY each). Memory does not depend on it; smaller pages hold a snapshot for less time. @default 10000 */
  pageRows?: number;
  /**
   * CSV cells that start with `=`, `+`, `-`, `@`, a tab or a carriage return get a leading apostrophe
   * (`'neutralize'`, OWASP's advice: a spreadsheet opening the export runs no formula a client wrote into an
   * audited value or header); `'verbatim'` writes them as stored, for machine consumers. JSON and NDJSON are
   * always verbatim. @default 'neutralize'
   */
  csvFormulas?: CsvFormulas;
  /** Called with the running count (the CLI's progress display). */
  onRow?: (count: number) => void;
}

export interface ExportResult {
  body: string;
  returnedCount: number;
  truncated: boolean;
}

/**
 * Exports with the same filters as the timeline (validated the same way),
 * as CSV (RFC 4180, as csv-stringify writes it), a JSON document (`format_version: 1`)
 * or NDJSON. `chunks()` streams what PostgreSQL formats through COPY, so
 * memory stays flat however many rows match.
 */
@Injectable()
export class ExportService {
  constructor(private readonly queries: AuditQueryService) {}

  /** The whole export in memory, capped by maxRows (default 10,000). */
  async exportChanges(filters: TimelineFilters, options: ExportOptions): Promise<ExportResult> {
    const parts: string[] = [];
    const meta = { returnedCount: 0, truncated: false };
    for await (const chunk of this.chunks(filters, { maxRows: DEFAULT_EXPORT_MAX_ROWS, ...options }, meta))
      parts.push(chunk);
    return { body: parts.join(''), ...meta };
  }

  /**
   * The export as text chunks. `meta` is filled in as it goes (final once the
   * generator is done); the JSON document also carries it at its end.
   */
  async *chunks(
    filters: TimelineFilters,
    options: ExportOptions,
    meta: { returnedCount: number; truncated: boolean } = { returnedCount: 0, truncated: false },
  ): AsyncGenerator<string> {
    // a bounded attribute: a caller's unknown format is 'invalid', not a new metric series
    const format = (EXPORT_FORMATS as readonly string[]).includes(options.format) ? options.format : 'invalid';
    const started = Date.now();
    const span = startSpan(THREADLINE_SPANS.export.name, { 'threadline.export.format': format });
    let failure: string | undefined = EXPORT_ABORTED; // until it ends or throws: a consumer that stops early
    try {
      yield* this.lines(filters, options, meta);
      failure = undefined;
    } catch (error) {
      failure = errorType(error);
      throw error;
    } finally {
      span.setAttributes({
        'threadline.export.rows': meta.returnedCount,
        'threadline.export.truncated': meta.truncated,
      });
      span.end(failure);
      publish('exportFinished', {
        format,
        rows: meta.returnedCount,
        truncated: meta.truncated,
        durationMs: Date.now() - started,
        ...(failure ? { errorType: failure } : {}),
      } satisfies ExportFinishedEvent);
    }
  }

  private async *lines(
    filters: TimelineFilters,
    options: ExportOptions,
    meta: { returnedCount: number; truncated: boolean },
  ): AsyncGenerator<string> {
    const format = exportFormat(options.format);
    if (!format) throw InvalidExportOptionError.format(EXPORT_FORMATS, options.format);
    const cap = options.maxRows ?? null;
    if (cap !== null && (!Number.isInteger(cap) || cap < 1))
      throw InvalidExportOptionError.positiveInteger('maxRows', cap);
    const csvFormulas = options.csvFormulas ?? 'neutralize';
    if (!(CSV_FORMULAS as readonly string[]).includes(csvFormulas))
      throw InvalidExportOptionError.csvFormulas(CSV_FORMULAS, options.csvFormulas);
    const cell = csvFormulas === 'neutralize' ? inertCell : (value: string) => value;
    const pageSize = options.pageRows ?? EXPORT_PAGE_ROWS;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw InvalidExportOptionError.positiveInteger('pageRows', options.pageRows);
    const normalized = normalizeFilters(filters); // fail before the first byte
    const head = format.head(describeFilters(normalized));
    if (head) yield head;
    // Keyset pages of pageRows, each one COPY in which PostgreSQL writes every change as one line of
    // JSON text (see copyLines); here lines are only counted, cut at the cap and joined for the format, and
    // the last line of a page is parsed for the next page's cursor. One row past the cap is fetched to tell
    // whether more matched.
    const shape = format.lines;
    let after: { capturedAt: string; id: string } | undefined;
    let atCap = false;
    for (let pageFull = true; pageFull && !meta.truncated;) {
      const pageRows = cap === null ? pageSize : Math.min(pageSize, cap + 1 - meta.returnedCount);
      let inPage = 0;
      // A line split across chunks, kept as its pieces: only each new chunk is searched for a newline, so a value of
      // a hundred million characters arriving 64 KB at a time costs one pass, not one pass per chunk over all of it.
      let partial: string[] = [];
      let lastLine = '';
      for await (const chunk of this.queries.copyLines(filters, pageRows, shape, after)) {
        if (atCap) {
          meta.truncated = true; // the extra row: drained, not written, so the connection ends the COPY cleanly
          continue;
        }
        const room = cap === null ? Infinity : cap - meta.returnedCount;
        const { count, end } = completeLines(chunk, room);
        if (!count) {
          partial.push(chunk);
          continue;
        }
        const lines = partial.join('') + chunk.slice(0, end - 1); // without the last newline
        partial = end < chunk.length ? [chunk.slice(end)] : [];
        if (count === room) {
          atCap = true;
          meta.truncated = partial.length > 0;
        }
        lastLine = lines.slice(lines.lastIndexOf('\n') + 1);
        const first = meta.returnedCount === 0;
        inPage += count;
        meta.returnedCount += count;
        options.onRow?.(meta.returnedCount);
        yield format.body(lines, first, cell);
      }
      pageFull = inPage === pageRows;
      if (pageFull) after = cursorOf(lastLine, shape);
    }
    const tail = format.tail(meta);
    if (tail) yield tail;
  }
}

/**
 * A CSV cell a spreadsheet will not run: a value starting with =, +, -, @,
 * a tab or a carriage return (a formula to Excel, LibreOffice and Google
 * Sheets), or with the full-width ＝ ＋ － ＠ that Apple Numbers turns into
 * them, gets a leading apostrophe, as OWASP recommends (csv-stringify's
 * escape_formulas list). Audit cells carry what clients sent (a correlation
 * id header, a row's text), so an export opened by an auditor must not
 * execute them. JSON and NDJSON are unchanged.
 */
export function inertCell(value: string): string {
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

const CSV_ID = CSV_COLUMNS.indexOf('id');
const CSV_CAPTURED_AT = CSV_COLUMNS.indexOf('captured_at');

/** The keyset position of an exported line: its id and captured_at. */
function cursorOf(line: string, shape: 'ndjson' | 'csv-cells'): { capturedAt: string; id: string } {
  if (shape === 'csv-cells') {
    const cells = JSON.parse(line) as string[];
    return { id: cells[CSV_ID], capturedAt: cells[CSV_CAPTURED_AT] };
  }
  const change = JSON.parse(line) as { id: string; captured_at: string };
  return { id: change.id, capturedAt: change.captured_at };
}

/** How many whole lines `text` starts with (at most `max`), and where the last of them ends. */
function completeLines(text: string, max: number): { count: number; end: number } {
  let count = 0;
  let end = 0;
  for (let i = text.indexOf('\n'); i !== -1 && count < max; i = text.indexOf('\n', i + 1)) {
    count++;
    end = i + 1;
  }
  return { count, end };
}

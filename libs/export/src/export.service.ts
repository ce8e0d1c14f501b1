import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { AuditChange } from './audit-change';
import { AuditQueryService } from './audit-query.service';
import { InvalidFilterError } from './export.error';
import { normalizeFilters, TimelineFilters } from './timeline-filters';

/** Rows fetched and formatted per keyset page. */
const EXPORT_PAGE_SIZE = 1000;

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The reference's fixed CSV column order, then the optional correlation_id and action_id. */
export const CSV_COLUMNS = [
  'id',
  'transaction_id',
  'table_schema',
  'table_name',
  'op',
  'captured_at',
  'table_pk',
  'data_after',
  'changed_fields',
  'changed_from',
  'transaction_json',
  'correlation_id',
  'action_id',
] as const;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export interface ExportOptions {
  format: ExportFormat;
  /** Cap on rows; `truncated` says whether more matched. Omit (or null) for no cap. @default 10000 */
  maxRows?: number | null;
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
 * as CSV (RFC 4180, via csv-stringify), a JSON document (`format_version: 1`)
 * or NDJSON. `chunks()` streams page by page, so memory stays flat however
 * many rows match.
 */
@Injectable()
export class ExportService {
  constructor(private readonly queries: AuditQueryService) {}

  /** The whole export in memory, capped by maxRows (default 10,000). */
  async exportChanges(filters: TimelineFilters, options: ExportOptions): Promise<ExportResult> {
    const parts: string[] = [];
    const meta = { returnedCount: 0, truncated: false };
    for await (const chunk of this.chunks(filters, { maxRows: 10_000, ...options }, meta)) parts.push(chunk);
    return { body: parts.join(''), ...meta };
  }

  /**
   * The export as text chunks. `meta` is filled in as it goes (final once the
   * generator is done); the JSON document also carries it at its end.
   */
  async *chunks(filters: TimelineFilters, options: ExportOptions, meta: { returnedCount: number; truncated: boolean } = { returnedCount: 0, truncated: false }): AsyncGenerator<string> {
    const format = options.format;
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new InvalidFilterError(`format must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
    const cap = options.maxRows ?? null;
    if (cap !== null && (!Number.isInteger(cap) || cap < 1)) throw new InvalidFilterError(`maxRows must be a positive integer (got ${JSON.stringify(cap)})`);
    const normalized = normalizeFilters(filters); // fail before the first byte
    if (format === 'csv') yield stringify([[...CSV_COLUMNS]]);
    if (format === 'json') yield `{"format_version":1,"generated_at":${JSON.stringify(new Date().toISOString())},"filters":${JSON.stringify(describeFilters(normalized))},"changes":[`;
    const pageSize = cap !== null ? Math.min(EXPORT_PAGE_SIZE, cap + 1) : EXPORT_PAGE_SIZE;
    pages: for await (const page of this.queries.streamPages(filters, pageSize)) {
      // one chunk per page: formatting row by row through nested generators allocated enough to grow the heap
      const parts: string[] = [];
      for (const change of page) {
        if (cap !== null && meta.returnedCount === cap) {
          meta.truncated = true;
          if (parts.length) yield parts.join('');
          break pages;
        }
        meta.returnedCount++;
        options.onRow?.(meta.returnedCount);
        if (format === 'csv') parts.push(stringify([csvRow(change)]));
        else if (format === 'ndjson') parts.push(`${JSON.stringify(change)}\n`);
        else parts.push(`${meta.returnedCount > 1 ? ',' : ''}${JSON.stringify(change)}`);
      }
      yield parts.join('');
    }
    if (format === 'json') yield `],"returned_count":${meta.returnedCount},"truncated":${meta.truncated}}\n`;
  }
}

function csvRow(change: AuditChange): string[] {
  const json = (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value));
  return [
    change.id,
    change.transaction_id,
    change.table_schema,
    change.table_name,
    change.op,
    change.captured_at,
    json(change.table_pk),
    json(change.data_after),
    json(change.changed_fields),
    json(change.changed_from),
    json(change.transaction),
    change.transaction.correlation_id ?? '',
    change.transaction.action_id ?? '',
  ];
}

function describeFilters(f: ReturnType<typeof normalizeFilters>): Record<string, string> {
  return {
    ...(f.table && { table: `${f.table.schema}.${f.table.table}` }),
    ...(f.actor && { actorRef: f.actor.toString() }),
    ...(f.from && { from: f.from }),
    ...(f.to && { to: f.to }),
    ...(f.correlationId && { correlationId: f.correlationId }),
  };
}

// @threadline/export: exploration (timeline, history, as-of, diffs) and streaming CSV / JSON / NDJSON
// exports with their manifests. The export and verify-export commands come with ThreadlineExportModule.
export * from './audit-change';
export type { TimelineFilters } from './timeline-filters';
export * from './export.errors';
export { AuditQueryService } from './audit-query.service';
export type { Page, PageOptions } from './page';
export type { ExportFormat } from './export-formats';
export { ExportService, type ExportOptions, type ExportResult } from './export.service';
export type { ExportManifest, SealHead } from './export-manifest';
export { ThreadlineExportModule } from './export.module';

// Internal: for @threadline/operator (its routes, DTOs and pages) and the tests. Not part of the public
// API (@threadline/nestjs re-exports none of it); any release may change it.
export { AUDIT_CHANGE_FIELDS, AUDIT_TRANSACTION_FIELDS, CSV_COLUMNS, type AuditField } from './audit-row';
export {
  EXPORT_FORMATS,
  EXPORT_FORMAT_SPECS,
  CONTENT_TYPES,
  exportFormat,
  formatList,
  type ExportFormatSpec,
} from './export-formats';
export {
  TIMELINE_FILTERS,
  TRANSACTION_ID_PATTERN,
  parseRowKey,
  type NormalizedFilters,
  type TimelineFilterField,
} from './timeline-filters';
export { FILTER_KEYS, normalizeFilters, describeFilters, filtersFromParams } from './normalize-filters';
export { encodeCursor, decodeCursor } from './cursor';
export { DEFAULT_EXPORT_MAX_ROWS, HTTP_EXPORT_MAX_ROWS, CSV_FORMULAS, type CsvFormulas } from './export.service';
export { BodyDigest, ExportSeals } from './export-manifest';
export { ExportCommand } from './export.command';

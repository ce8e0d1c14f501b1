// @threadline/export: exploration (timeline, history, as-of, diffs) and streaming CSV / JSON / NDJSON
// exports with their manifests. The export and verify-export commands come with ThreadlineExportModule.
export * from './audit-change';
export type { TimelineFilters } from './timeline-filters';
export * from './export.error';
export { AuditQueryService, type Page, type PageOptions } from './audit-query.service';
export { ExportService, type ExportFormat, type ExportOptions, type ExportResult } from './export.service';
export type { ExportManifest, SealHead } from './export-manifest';
export { ThreadlineExportModule } from './export.module';

// Internal: for @threadline/operator (its routes, DTOs and pages) and the tests. Not part of the public
// API (@threadline/nestjs re-exports none of it); any release may change it.
export {
  CHANGE_OPS,
  TIMELINE_FILTERS,
  parseRowKey,
  normalizeFilters,
  filtersFromParams,
  encodeCursor,
  type NormalizedFilters,
  type TimelineFilterField,
} from './timeline-filters';
export {
  DEFAULT_EXPORT_MAX_ROWS,
  HTTP_EXPORT_MAX_ROWS,
  EXPORT_FORMATS,
  CSV_FORMULAS,
  CONTENT_TYPES,
  type CsvFormulas,
} from './export.service';
export { BodyDigest, ExportSeals } from './export-manifest';
export { ExportCommand } from './export.command';

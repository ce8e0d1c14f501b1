// @threadline/export: streaming CSV / JSON / NDJSON exports of the audit log with their manifests (the
// rows read through @threadline/query). The export and verify-export commands come with ThreadlineExportModule.
export * from './export.errors';
export type { ExportFormat } from './export-formats';
export { ExportService, type ExportOptions, type ExportResult } from './export.service';
export type { ExportManifest, SealHead } from './export-manifest';
export { ThreadlineExportModule } from './export.module';

// Internal: for @threadline/operator (its routes, DTOs and pages) and the tests. Not part of the public
// API (@threadline/nestjs re-exports none of it); any release may change it.
export {
  EXPORT_FORMATS,
  EXPORT_FORMAT_SPECS,
  CONTENT_TYPES,
  exportFormat,
  formatList,
  type ExportFormatSpec,
} from './export-formats';
export { DEFAULT_EXPORT_MAX_ROWS, HTTP_EXPORT_MAX_ROWS, CSV_FORMULAS, type CsvFormulas } from './export.service';
export { BodyDigest, ExportSeals } from './export-manifest';
export { ExportCommand } from './export.command';

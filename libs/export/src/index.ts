export * from './audit-change';
export * from './timeline-filters';
export * from './export.error';
export * from './audit-query.service';
export * from './export.service';
export { ExportCommand } from './export.command';
export { ThreadlineExportModule } from './export.module';
export * from './export-manifest';
export { VerifyExportCommand, ExportCheck } from './verify-export.command';

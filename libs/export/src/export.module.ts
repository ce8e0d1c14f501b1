import { Module } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import { ExportCommand } from './export.command';
import { ExportService } from './export.service';
import { ExportSeals } from './export-manifest';
import { VerifyExportCommand } from './verify-export.command';

/**
 * Exploration queries (timeline, history, as-of, one transaction's changes)
 * and streaming exports, plus the `export` command. The HTTP routes and pages
 * over them are @threadline/operator's.
 */
@Module({
  providers: [AuditQueryService, ExportService, ExportSeals, ExportCommand, VerifyExportCommand],
  exports: [AuditQueryService, ExportService, ExportSeals],
})
export class ThreadlineExportModule {}

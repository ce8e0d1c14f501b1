import { Module } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import { ExportCommand } from './export.command';
import { ExportService } from './export.service';

/**
 * Exploration queries (timeline, history, as-of, one transaction's changes)
 * and streaming exports, plus the `export` command. The HTTP routes and pages
 * over them are @threadline/operator's.
 */
@Module({
  providers: [AuditQueryService, ExportService, ExportCommand],
  exports: [AuditQueryService, ExportService],
})
export class ThreadlineExportModule {}

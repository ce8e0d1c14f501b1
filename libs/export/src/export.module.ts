import { Module } from '@nestjs/common';
import { ThreadlineQueryModule } from '@threadline/query';
import { ExportCommand } from './export.command';
import { ExportService } from './export.service';
import { ExportSeals } from './export-manifest';
import { VerifyExportCommand } from './verify-export.command';

/**
 * Streaming exports of what ThreadlineQueryModule reads, with their manifests, plus the `export` and
 * `verify-export` commands. It brings ThreadlineQueryModule with it (and exports it, so AuditQueryService
 * is there wherever exports are). The HTTP routes and pages over both are @threadline/operator's.
 */
@Module({
  imports: [ThreadlineQueryModule],
  providers: [ExportService, ExportSeals, ExportCommand, VerifyExportCommand],
  exports: [ThreadlineQueryModule, ExportService, ExportSeals],
})
export class ThreadlineExportModule {}

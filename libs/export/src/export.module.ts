import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { THREADLINE_OPERATOR_OPTIONS } from './export.constants';
import { EXPORT_MODULE_OPTIONS, ExportConfigurableModule } from './export.module-definition';
import { OperatorOptions, resolveOperatorOptions } from './export.options';
import { ExportCommand } from './export.command';
import { ExportService } from './export.service';

/** Exploration queries, exports, and the `/audit` routes behind `operator.authorize`. */
@Module({
  controllers: [AuditController],
  providers: [
    { provide: THREADLINE_OPERATOR_OPTIONS, useFactory: (o: OperatorOptions | undefined) => resolveOperatorOptions(o), inject: [EXPORT_MODULE_OPTIONS] },
    AuditQueryService,
    ExportService,
    ThreadlineAuthorizeGuard,
    ExportCommand,
  ],
  exports: [THREADLINE_OPERATOR_OPTIONS, AuditQueryService, ExportService, ThreadlineAuthorizeGuard],
})
export class ThreadlineExportModule extends ExportConfigurableModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { THREADLINE_OPERATOR_MOUNT, THREADLINE_OPERATOR_OPTIONS } from './export.constants';
import { EXPORT_MODULE_OPTIONS, EXPORT_OPTIONS_TYPE, ExportConfigurableModule } from './export.module-definition';
import { DEFAULT_OPERATOR_PATH, OperatorOptions, operatorPathProblem, resolveOperatorOptions } from './export.options';
import { ExportCommand } from './export.command';
import { ExportService } from './export.service';
import { InvalidOptionsError } from '@threadline/core';

/**
 * Exploration queries, exports, and the operator surface: the audit routes
 * and pages behind `operator.authorize`, mounted at `operator.path`. The
 * pages read coverage and redaction from the health module (registered by
 * ThreadlineModule, or by you alongside this module).
 */
@Module({
  providers: [
    {
      provide: THREADLINE_OPERATOR_OPTIONS,
      useFactory: (o: OperatorOptions | undefined, mountedAt: string | false) => resolveOperatorOptions(o, mountedAt),
      inject: [EXPORT_MODULE_OPTIONS, THREADLINE_OPERATOR_MOUNT],
    },
    AuditQueryService,
    ExportService,
    ThreadlineAuthorizeGuard,
    ExportCommand,
  ],
  exports: [THREADLINE_OPERATOR_OPTIONS, AuditQueryService, ExportService, ThreadlineAuthorizeGuard],
})
export class ThreadlineExportModule extends ExportConfigurableModule {
  /** Mounts the routes at `options.path` (default '/audit'); forRootAsync takes `mountAt` next to its factory. */
  static forRoot(options: typeof EXPORT_OPTIONS_TYPE): DynamicModule {
    return super.forRoot({ ...options, mountAt: options.mountAt ?? mountPathOf(options) });
  }
}

/** The path from synchronous options, checked now: Nest fixes it when the module is defined. */
export function mountPathOf(options: OperatorOptions | undefined): string {
  const path = options?.path ?? DEFAULT_OPERATOR_PATH;
  const problem = operatorPathProblem(path);
  if (problem) throw new InvalidOptionsError(`Invalid Threadline options:\n  - ${problem}`);
  return path;
}

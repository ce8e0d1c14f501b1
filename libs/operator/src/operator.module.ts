import { Module } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { ThreadlineExportModule } from '@threadline/export';
import { AuditController } from './audit.controller';
import { ExportDownloads } from './export-downloads';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { HttpPlatform } from './http-platform';
import { OpenApiController } from './openapi/openapi.controller';
import { OperatorOpenApi } from './openapi/operator-openapi';
import { OperatorMount } from './operator-mount';
import { OperatorPagesController } from './operator-pages.controller';
import { OperatorPages } from './operator-pages.service';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import { OPERATOR_MODULE_OPTIONS, OperatorConfigurableModule } from './operator.module-definition';
import { OperatorOptions, resolveOperatorOptions, ResolvedOperatorOptions } from './operator.options';

/**
 * The operator surface: the audit routes (timeline, transaction changes,
 * export) and the pages (coverage, redaction policy, timeline, transaction),
 * behind `operator.authorize`, at `operator.path` (default '/audit'). Reads
 * audit data through the export module (imported here) and coverage and
 * redaction from the health module (registered by ThreadlineModule, or by you).
 *
 * @example ThreadlineOperatorModule.forRoot({ path: '/audit', authorize: (req) => isAuditor(req) })
 */
@Module({
  imports: [ThreadlineExportModule],
  controllers: [AuditController, OperatorPagesController, OpenApiController],
  providers: [
    {
      provide: THREADLINE_OPERATOR_OPTIONS,
      useFactory: (options: OperatorOptions | undefined, modules: ModulesContainer) => {
        const resolved: ResolvedOperatorOptions = resolveOperatorOptions(options);
        OperatorMount.place(ThreadlineOperatorModule, resolved.path, modules);
        return resolved;
      },
      inject: [OPERATOR_MODULE_OPTIONS, ModulesContainer],
    },
    {
      provide: OperatorOpenApi,
      useFactory: (modules: ModulesContainer, config: ApplicationConfig, adapter: HttpAdapterHost) =>
        new OperatorOpenApi(ThreadlineOperatorModule, modules, config, adapter),
      inject: [ModulesContainer, ApplicationConfig, HttpAdapterHost],
    },
    OperatorMount,
    OperatorPages,
    ExportDownloads,
    HttpPlatform,
    ThreadlineAuthorizeGuard,
  ],
  exports: [THREADLINE_OPERATOR_OPTIONS, ThreadlineAuthorizeGuard],
})
export class ThreadlineOperatorModule extends OperatorConfigurableModule {}

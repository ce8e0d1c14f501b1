import { Module } from '@nestjs/common';
import { AuditTables } from '@threadline/core';
import { THREADLINE_CAPTURE_OPTIONS } from './capture.constants';
import { CAPTURE_MODULE_OPTIONS, CaptureConfigurableModule } from './capture.module-definition';
import { CaptureOptions, resolveCaptureOptions, ResolvedCaptureOptions } from './capture.options';
import { CaptureService } from './capture.service';
import { GenTriggersCommand } from './commands/gen-triggers.command';
import { InstallCommand } from './commands/install.command';
import { MigrateCommand } from './commands/migrate.command';
import {
  PartitionsCommand,
  PartitionsMaintainCommand,
  PartitionsStatusCommand,
  PartitionsUpgradeCommand,
} from './partitions/partitions.commands';
import { PartitionUpgradeService } from './partitions/partition-upgrade.service';
import { PartitionsScheduler } from './partitions/partitions.scheduler';
import { PartitionsService } from './partitions/partitions.service';

/**
 * Audit schema and trigger generation. Needs the app's TypeORM `DataSource`
 * (`TypeOrmModule.forRoot`). Options are validated once, at boot, for both
 * `forRoot` and `forRootAsync`.
 */
@Module({
  providers: [
    {
      provide: THREADLINE_CAPTURE_OPTIONS,
      useFactory: (options: CaptureOptions) => resolveCaptureOptions(options),
      inject: [CAPTURE_MODULE_OPTIONS],
    },
    {
      provide: AuditTables,
      useFactory: (options: ResolvedCaptureOptions) => new AuditTables(options.auditSchema),
      inject: [THREADLINE_CAPTURE_OPTIONS],
    },
    CaptureService,
    InstallCommand,
    GenTriggersCommand,
    MigrateCommand,
    PartitionsService,
    PartitionsScheduler,
    PartitionsCommand,
    PartitionsStatusCommand,
    PartitionsMaintainCommand,
    PartitionUpgradeService,
    PartitionsUpgradeCommand,
  ],
  exports: [THREADLINE_CAPTURE_OPTIONS, AuditTables, CaptureService, PartitionsService, PartitionUpgradeService],
})
export class ThreadlineCaptureModule extends CaptureConfigurableModule {}

import { Module } from '@nestjs/common';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { RETENTION_MODULE_OPTIONS, RetentionConfigurableModule } from './retention.module-definition';
import { resolveRetentionPolicy, RetentionOptions } from './retention.options';
import { RetentionCommand, RetentionPurgeCommand } from './retention-purge.command';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';
import { LegalHoldService } from './legal-hold.service';
import { RetentionHoldCommand, RetentionHoldsCommand, RetentionReleaseHoldCommand } from './legal-hold.commands';

/** Retention: the validated policy, batched purges, scheduled purges and the purge command. Needs the app's TypeORM `DataSource`. */
@Module({
  providers: [
    {
      provide: THREADLINE_RETENTION_POLICY,
      useFactory: (options: RetentionOptions | undefined) => resolveRetentionPolicy(options) ?? null,
      inject: [RETENTION_MODULE_OPTIONS],
    },
    RetentionService,
    RetentionScheduler,
    RetentionCommand,
    RetentionPurgeCommand,
    LegalHoldService,
    RetentionHoldCommand,
    RetentionHoldsCommand,
    RetentionReleaseHoldCommand,
  ],
  exports: [THREADLINE_RETENTION_POLICY, RetentionService, RetentionScheduler, LegalHoldService],
})
export class ThreadlineRetentionModule extends RetentionConfigurableModule {}

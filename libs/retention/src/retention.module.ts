import { Module } from '@nestjs/common';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { RETENTION_MODULE_OPTIONS, RetentionConfigurableModule } from './retention.module-definition';
import { resolveRetentionPolicy, RetentionOptions } from './retention.options';

/** Retention policy, validated at boot. Purges and schedules arrive with the retention issue. */
@Module({
  providers: [
    {
      provide: THREADLINE_RETENTION_POLICY,
      useFactory: (options: RetentionOptions | undefined) => resolveRetentionPolicy(options) ?? null,
      inject: [RETENTION_MODULE_OPTIONS],
    },
  ],
  exports: [THREADLINE_RETENTION_POLICY],
})
export class ThreadlineRetentionModule extends RetentionConfigurableModule {}

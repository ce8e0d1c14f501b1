import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { errorType, logLine, schedulerRegistryOf } from '@threadline/core';
import { CronJob } from 'cron';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { RetentionPolicy } from './retention.options';
import { RetentionService } from './retention.service';
import {
  NO_SCHEDULER,
  scheduled,
  scheduledPurgeFailed,
  scheduledPurgeNotCompleted,
  TICK_SKIPPED,
} from './retention.messages';

export const RETENTION_JOB_NAME = 'threadline.retention.purge';

/**
 * Scheduled purges (`retention.schedule`), registered by name in
 * @nestjs/schedule's SchedulerRegistry. A run never overlaps the previous
 * one; the purge's lease keeps other instances out; errors are logged
 * so one bad run cannot crash the app; shutdown waits for the current batch.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private job?: CronJob;
  private running?: Promise<void>;

  constructor(
    private readonly retention: RetentionService,
    private readonly moduleRef: ModuleRef,
    @Inject(THREADLINE_RETENTION_POLICY) private readonly policy: RetentionPolicy | null,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.policy?.schedule) return;
    const registry = schedulerRegistryOf(this.moduleRef);
    if (!registry) {
      logLine(this.logger, 'log', 'retention:no_scheduler', NO_SCHEDULER);
      return;
    }
    this.job = CronJob.from({ cronTime: this.policy.schedule, onTick: () => this.tick(), start: true });
    registry.addCronJob(RETENTION_JOB_NAME, this.job as never);
    logLine(this.logger, 'log', 'retention:scheduled', scheduled(this.policy.schedule), {
      schedule: this.policy.schedule,
    });
  }

  /** One scheduled run; skipped (and logged) while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.running) {
      logLine(this.logger, 'warn', 'retention:tick_skipped', TICK_SKIPPED);
      return;
    }
    this.running = this.retention
      .purge()
      .then((result) => {
        if (result.status !== 'completed')
          logLine(
            this.logger,
            'warn',
            'retention:not_completed',
            scheduledPurgeNotCompleted(result.status, result.reason),
            {
              status: result.status,
            },
          );
      })
      .catch((error: unknown) =>
        logLine(this.logger, 'error', 'retention:failed', scheduledPurgeFailed(error), {
          error_type: errorType(error),
        }),
      )
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.job?.stop();
    this.retention.requestStop();
    await this.running;
  }
}

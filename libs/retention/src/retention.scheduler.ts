import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { schedulerRegistryOf } from '@threadline/core';
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
  private readonly logger = new Logger('ThreadlineRetention');
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
      this.logger.log(NO_SCHEDULER);
      return;
    }
    this.job = CronJob.from({ cronTime: this.policy.schedule, onTick: () => this.tick(), start: true });
    registry.addCronJob(RETENTION_JOB_NAME, this.job as never);
    this.logger.log(scheduled(this.policy.schedule));
  }

  /** One scheduled run; skipped (and logged) while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.running) {
      this.logger.warn(TICK_SKIPPED);
      return;
    }
    this.running = this.retention
      .purge()
      .then((result) => {
        if (result.status !== 'completed') this.logger.warn(scheduledPurgeNotCompleted(result.status, result.reason));
      })
      .catch((error: unknown) => this.logger.error(scheduledPurgeFailed(error)))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.job?.stop();
    this.retention.requestStop();
    await this.running;
  }
}

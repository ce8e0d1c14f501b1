import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { schedulerRegistryOf } from '@threadline/core';
import { CronJob } from 'cron';
import { THREADLINE_RETENTION_POLICY } from './retention.constants';
import { RetentionPolicy } from './retention.options';
import { RetentionService } from './retention.service';

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
      this.logger.log(
        `retention.schedule is set but @nestjs/schedule's ScheduleModule.forRoot() is not imported here: no scheduled purges in this process`,
      );
      return;
    }
    this.job = CronJob.from({ cronTime: this.policy.schedule, onTick: () => this.tick(), start: true });
    registry.addCronJob(RETENTION_JOB_NAME, this.job as never);
    this.logger.log(`scheduled purges: ${this.policy.schedule}`);
  }

  /** One scheduled run; skipped (and logged) while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.running) {
      this.logger.warn('threadline retention purge skipped: the previous scheduled run is still going');
      return;
    }
    this.running = this.retention
      .purge()
      .then((result) => {
        if (result.status !== 'completed')
          this.logger.warn(`threadline retention purge ${result.status}: ${result.reason}`);
      })
      .catch((error: unknown) =>
        this.logger.error(
          `threadline retention purge failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
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

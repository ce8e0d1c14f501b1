import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditTables, errorType, logLine, schedulerRegistryOf } from '@threadline/core';
import { CronJob } from 'cron';
import { DataSource } from 'typeorm';
import { THREADLINE_CAPTURE_OPTIONS } from '../capture.constants';
import { ResolvedCaptureOptions } from '../capture.options';
import { partitionSchedulerTexts } from '../capture.messages';
import { PARTITIONING_TABLE } from '../schema/audit-schema.sql';
import { PartitionsService } from './partitions.service';

export const PARTITIONS_JOB_NAME = 'threadline.partitions.maintain';

/**
 * With `capture.partitioning`: partition maintenance once at boot and then on `schedule`, registered by
 * name in @nestjs/schedule's SchedulerRegistry. Runs never overlap in one process; several processes are
 * safe (the SQL takes one lock and is idempotent). A failed run is logged, never thrown: the next one retries,
 * and health turns red if partitions run short.
 */
@Injectable()
export class PartitionsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionsScheduler.name);
  private job?: CronJob;
  private running?: Promise<void>;

  constructor(
    private readonly partitions: PartitionsService,
    private readonly dataSource: DataSource,
    private readonly tables: AuditTables,
    private readonly moduleRef: ModuleRef,
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly options: ResolvedCaptureOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const partitioning = this.options.partitioning;
    if (!partitioning) return;
    const [{ installed }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS installed`, [
      this.tables.named(PARTITIONING_TABLE),
    ]);
    if (installed) await this.tick();
    if (partitioning.schedule === false) return;
    const registry = schedulerRegistryOf(this.moduleRef);
    if (!registry) {
      logLine(this.logger, 'warn', 'partitions:no_scheduler', partitionSchedulerTexts.noScheduler);
      return;
    }
    this.job = CronJob.from({ cronTime: partitioning.schedule, onTick: () => this.tick(), start: true });
    registry.addCronJob(PARTITIONS_JOB_NAME, this.job as never);
  }

  /** One maintenance run; skipped while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.partitions
      .maintain()
      .then((result) => {
        if (result.created > 0 || result.status.problems.length)
          logLine(
            this.logger,
            result.status.problems.length ? 'warn' : 'log',
            'partitions:maintained',
            partitionSchedulerTexts.maintained(result.created, result.status.problems),
            { created: result.created, problems: result.status.problems.length },
          );
      })
      .catch((error: unknown) =>
        logLine(this.logger, 'error', 'partitions:failed', partitionSchedulerTexts.failed(error), {
          error_type: errorType(error),
        }),
      )
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.job?.stop();
    await this.running;
  }
}

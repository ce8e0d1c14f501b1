import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { errorType, logLine, schedulerRegistryOf } from '@threadline/core';
import { IntegrityService } from './integrity.service';
import { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
import { sealingFailed } from './proof.messages';
import { IntegrityPolicy } from './proof.options';

export const SEAL_JOB_NAME = 'threadline.integrity.seal';

/**
 * Seals committed audit transactions every `integrity.sealEverySeconds`
 * (`health.integrity.sealEverySeconds` through ThreadlineModule; an interval in @nestjs/schedule's registry when ScheduleModule is
 * imported, a plain timer otherwise). Runs never overlap; instances do not
 * interleave (the sealers' lock on audit_seals); errors are logged, never thrown.
 */
@Injectable()
export class IntegritySealer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IntegritySealer.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly integrity: IntegrityService,
    private readonly moduleRef: ModuleRef,
    @Inject(THREADLINE_INTEGRITY_POLICY) private readonly policy: IntegrityPolicy | null,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.policy?.sealEverySeconds ?? 0;
    if (every === 0) return;
    this.timer = setInterval(() => void this.tick(), every * 1000);
    this.timer.unref();
    // without @nestjs/schedule (or its ScheduleModule) the timer runs on its own
    schedulerRegistryOf(this.moduleRef)?.addInterval(SEAL_JOB_NAME, this.timer);
  }

  /** One sealing run; skipped while the previous one still runs. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.integrity
      .seal()
      .then(() => undefined)
      .catch((error: unknown) =>
        logLine(this.logger, 'error', 'proof:sealing_failed', sealingFailed(error), { error_type: errorType(error) }),
      )
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

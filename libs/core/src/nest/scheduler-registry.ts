import { type ModuleRef } from '@nestjs/core';

/** The part of @nestjs/schedule's SchedulerRegistry Threadline uses (its types stay out of this package's). */
export interface SchedulerRegistryLike {
  addInterval(name: string, intervalId: NodeJS.Timeout): void;
  addCronJob(name: string, job: never): void;
}

/**
 * The app's @nestjs/schedule SchedulerRegistry, or undefined when the
 * package is not installed or ScheduleModule.forRoot() is not imported.
 * @nestjs/schedule is an optional peer: Threadline's timers (sealing,
 * scheduled purges) register there when it is present, so they show up with
 * the app's other jobs, and run on their own otherwise.
 */
export function schedulerRegistryOf(moduleRef: ModuleRef): SchedulerRegistryLike | undefined {
  let token: abstract new (...args: never[]) => SchedulerRegistryLike;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    token = (require('@nestjs/schedule') as { SchedulerRegistry: typeof token }).SchedulerRegistry;
  } catch {
    return undefined;
  }
  try {
    return moduleRef.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

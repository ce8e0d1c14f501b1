import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { ClsService, ClsServiceManager } from 'nestjs-cls';
import { THREADLINE_SPANS, traced } from '@threadline/core';
import { DataSource, EntityManager } from 'typeorm';
import { ActorRef } from './actor-ref';
import { activeTraceparent, isTraceparent } from './trace-context';
import { THREADLINE_ACTOR_OPTIONS, THREADLINE_CLS_KEY } from './actor.constants';
import { ResolvedActorOptions } from './actor.options';
import { ContextState, JobContextPayload } from './context-state';
import { InvalidJobPayloadError } from './actor.errors';

/**
 * The request or job context audited writes run in: who is acting, and the
 * correlation / request / job ids. HTTP requests get one from the mounted
 * middleware; jobs and scripts use `run`, `runJob` or `transaction`.
 */
@Injectable()
export class ThreadlineContext {
  constructor(
    private readonly cls: ClsService,
    @Inject(THREADLINE_ACTOR_OPTIONS) private readonly options: ResolvedActorOptions,
    private readonly dataSource: DataSource,
  ) {}

  /** The current state, or undefined outside any request/job context. */
  state(): ContextState | undefined {
    return this.cls.isActive() ? this.cls.get<ContextState>(THREADLINE_CLS_KEY) : undefined;
  }

  /**
   * The acting actor: resolved from the request on first use (then cached for
   * the request), or set by `run`/`runJob`/`transaction`. Null when there is
   * none. Throws InvalidActorError if the app's resolver returns a bad value.
   */
  async actor(): Promise<ActorRef | null> {
    const state = this.state();
    if (!state) return null;
    if (state.actor === undefined) {
      const resolved = state.request ? await this.options.resolveActor(state.request) : null;
      state.actor = resolved == null ? null : ActorRef.of(resolved);
    }
    return state.actor;
  }

  correlationId(): string | undefined {
    return this.state()?.correlationId;
  }

  requestId(): string | undefined {
    return this.state()?.requestId;
  }

  jobId(): string | undefined {
    return this.state()?.jobId;
  }

  /**
   * The W3C traceparent this context's audit transactions record: a job's, carried from the request that enqueued
   * it, else the active OpenTelemetry span's (undefined without @opentelemetry/api or a span).
   */
  traceparent(): string | undefined {
    return this.state()?.traceparent ?? activeTraceparent();
  }

  /**
   * Runs `work` in a new context (inheriting the current one's ids) with the given values. An actor given as a
   * plain `{ type, id }` is validated like `ActorRef.of` (a rejection with InvalidActorError, not a failed write later).
   */
  run<T>(
    values: Omit<Partial<ContextState>, 'actor'> & { actor?: ActorRef | { type: string; id?: string } | null },
    work: () => Promise<T>,
  ): Promise<T> {
    const parent = this.state();
    let actor: ActorRef | null | undefined;
    try {
      actor = values.actor == null ? values.actor : ActorRef.of(values.actor);
    } catch (error) {
      return Promise.reject(error); // a promise-returning call fails as a rejection, never a synchronous throw
    }
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set<ContextState>(THREADLINE_CLS_KEY, {
        correlationId: parent?.correlationId ?? randomUUID(),
        requestId: parent?.requestId,
        jobId: parent?.jobId,
        traceparent: parent?.traceparent,
        ip: parent?.ip,
        ...values,
        ...('actor' in values ? { actor } : {}),
      });
      return work();
    });
  }

  /**
   * One database transaction whose audited writes carry `actor`, for code
   * outside a request (scripts, consumers, tests).
   *
   * @example await context.transaction(ActorRef.system('import'), (manager) => manager.save(rows))
   */
  transaction<T>(
    actor: ActorRef | { type: string; id?: string },
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const validated = ActorRef.of(actor);
    return this.run({ actor: validated }, () => this.dataSource.transaction(work));
  }

  /** What to put in a job's payload so the job is attributed like the request that enqueued it. */
  async jobPayload(jobId: string = randomUUID()): Promise<JobContextPayload> {
    const actor = await this.actor();
    const traceparent = this.traceparent();
    return {
      actor: actor ? actor.toJSON() : null,
      correlationId: this.correlationId() ?? randomUUID(),
      jobId,
      ...(traceparent && { traceparent }),
    };
  }

  /** Runs a job handler inside the context restored from its payload. */
  runJob<T>(payload: JobContextPayload, work: () => Promise<T>): Promise<T> {
    if (payload === null || typeof payload !== 'object') {
      throw InvalidJobPayloadError.create();
    }
    const actor = payload.actor == null ? null : ActorRef.of(payload.actor);
    const traceparent = payload.traceparent ?? undefined; // null, as other serializers write an absent value: none
    if (traceparent !== undefined && (typeof traceparent !== 'string' || !isTraceparent(traceparent)))
      throw InvalidJobPayloadError.traceparent(traceparent);
    return this.run(
      {
        actor,
        correlationId: payload.correlationId ?? randomUUID(),
        jobId: payload.jobId,
        traceparent,
        request: undefined,
      },
      work,
    );
  }
}

/**
 * Runs a method (an @nestjs/schedule @Cron/@Interval handler, a queue
 * consumer) in its own context with the given actor and a fresh job id, so
 * its audited writes are attributed. Errors are left to the method. With
 * `@opentelemetry/api` installed it runs in a `threadline.job` span; what it
 * returns or throws is unchanged.
 *
 * @example @Cron('0 * * * *') @ThreadlineJob(ActorRef.system('hourly-cleanup')) async cleanup() { ... }
 */
export function ThreadlineJob(actor: ActorRef | { type: string; id?: string }): MethodDecorator {
  const validated = ActorRef.of(actor);
  return (target, key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    const name = `${target.constructor.name}.${String(key)}`;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      const cls = ClsServiceManager.getClsService();
      const jobId = randomUUID();
      const run = () =>
        cls.run(() => {
          cls.set<ContextState>(THREADLINE_CLS_KEY, { actor: validated, correlationId: randomUUID(), jobId });
          return method.apply(this, args);
        });
      // With OpenTelemetry, the job runs in a span (a root one under a scheduler), so its audit transactions
      // carry a trace like a request's do; the method's own return value (or throw) reaches the caller unchanged.
      return traced(THREADLINE_SPANS.job.name, { 'threadline.job.name': name, 'threadline.job.id': jobId }, run);
    };
    // keep metadata set by decorators applied before this one (@Cron, @Interval, ...)
    for (const key of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, method), descriptor.value);
    }
    return descriptor;
  };
}

import type { Request } from 'express';
import { ActorRef } from './actor-ref';

/** What Threadline keeps per request or job (in nestjs-cls's AsyncLocalStorage store). */
export interface ContextState {
  /** The HTTP request guards see (Express's or Fastify's), kept to resolve the actor lazily. */
  request?: Request;
  /** Resolved actor; `null` = resolved to "no actor"; absent = not resolved yet. */
  actor?: ActorRef | null;
  correlationId?: string;
  requestId?: string;
  jobId?: string;
  /** A job's: the W3C traceparent of the request that enqueued it (its audit transactions record that trace). */
  traceparent?: string;
  /** Client IP as Express or Fastify reports it (honours `trust proxy` / trustProxy). Kept in context only, not stored. */
  ip?: string;
}

/** What a job payload carries so the job runs with the context of whoever enqueued it. */
export interface JobContextPayload {
  actor?: { type: string; id?: string } | null;
  correlationId?: string;
  jobId?: string;
  /** The enqueueing request's W3C traceparent, when it ran under an OpenTelemetry span. */
  traceparent?: string;
}

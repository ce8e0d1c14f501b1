import { openTelemetry as api } from '@threadline/core';
import { TRACEPARENT_PATTERN } from '@threadline/capture';

// With @opentelemetry/api installed (an optional peer), each audit transaction records the trace context of the
// request or job that made it (schema v9: `meta.trace_id`, `meta.span_id`); without it nothing is set.

/**
 * The W3C traceparent (`00-<trace id>-<span id>-<flags>`) of the span active now, or undefined when there is no
 * OpenTelemetry API, no active span, or its context is not valid (the all-zeros ids of a non-recording default).
 */
export function activeTraceparent(): string | undefined {
  const context = api?.trace.getActiveSpan()?.spanContext();
  if (!context || !api!.isSpanContextValid(context)) return undefined;
  // The API accepts upper-case hex (another propagator, a custom id generator); the schema stores the W3C form.
  // Anything else is left out: tracing must never stop an audited write.
  const flags = (Number(context.traceFlags) & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${context.traceId.toLowerCase()}-${context.spanId.toLowerCase()}-${flags}`;
  return isTraceparent(traceparent) ? traceparent : undefined;
}

const TRACEPARENT = new RegExp(TRACEPARENT_PATTERN);

/** A W3C traceparent of version 00 as the schema stores it (TRACEPARENT_PATTERN), neither id all zeros. */
export function isTraceparent(value: string): boolean {
  return TRACEPARENT.test(value) && !/^00-0{32}-|-0{16}-/.test(value);
}

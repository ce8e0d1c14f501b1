import type * as OpenTelemetry from '@opentelemetry/api' with { 'resolution-mode': 'import' };

/**
 * @opentelemetry/api is an optional peer of the Threadline libs: an app that runs with an OpenTelemetry SDK has it,
 * and then Threadline records trace context on audit transactions, emits its metrics and traces its long work.
 * Without it nothing is loaded and nothing is emitted. The API finds the app's SDK through its global registry, so
 * this copy and the app's agree.
 */
function load(): typeof OpenTelemetry | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as typeof OpenTelemetry;
  } catch {
    return undefined;
  }
}

/** The OpenTelemetry API when the app has it installed, else undefined. */
export const openTelemetry: typeof OpenTelemetry | undefined = load();

/** The instrumentation scope Threadline's spans and metrics are reported under. */
export const TELEMETRY_SCOPE = '@threadline/nestjs';

/** A span's attributes: only strings, numbers and booleans (never a value from an audited row). */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** What a traced piece of work can add to its span before it ends. */
export interface TelemetrySpan {
  setAttributes(attributes: TelemetryAttributes): void;
}

const NO_SPAN: TelemetrySpan = { setAttributes: () => undefined };

/**
 * Runs `work` in a span named `name` (made the active span, so the queries it runs nest under it when the app
 * instruments pg), ending it with its outcome: `work` adds what it did through `span.setAttributes`; a throw sets
 * status ERROR and `error.type` (the error's class, not its message) and is rethrown. Without the API, `work` runs
 * as is.
 */
export function inSpan<T>(
  name: string,
  attributes: TelemetryAttributes,
  work: (span: TelemetrySpan) => Promise<T>,
): Promise<T> {
  const api = openTelemetry;
  if (!api) return work(NO_SPAN);
  return api.trace.getTracer(TELEMETRY_SCOPE).startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await work(span);
      span.setStatus({ code: api.SpanStatusCode.OK });
      return result;
    } catch (error) {
      // the class only: an error's message may quote a value from the database, which a span must not carry
      span.setAttribute('error.type', errorType(error));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorType(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `work` in an active span named `name` and returns exactly what it returns: a plain value (the span ends at
 * once), or its promise's outcome (the span ends when it settles); a throw stays a synchronous throw. For calls
 * whose caller must see no difference (a decorated job method that may be synchronous). Without the API,
 * `work()` is called as is.
 */
export function traced<T>(name: string, attributes: TelemetryAttributes, work: () => T): T {
  const api = openTelemetry;
  if (!api) return work();
  return api.trace.getTracer(TELEMETRY_SCOPE).startActiveSpan(name, { attributes }, (span) => {
    const end = (failed: boolean, error?: unknown) => {
      if (!failed) span.setStatus({ code: api.SpanStatusCode.OK });
      else {
        span.setAttribute('error.type', errorType(error));
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorType(error) });
      }
      span.end();
    };
    let result: T;
    try {
      result = work();
    } catch (error) {
      end(true, error);
      throw error;
    }
    const thenable = result as { then?: unknown };
    if (thenable !== null && typeof thenable === 'object' && typeof thenable.then === 'function')
      (result as PromiseLike<unknown>).then(
        () => end(false),
        (error: unknown) => end(true, error),
      );
    else end(false);
    return result;
  });
}

/**
 * A span for work that is not one call (an export streamed chunk by chunk): started now under the active span,
 * ended by `end(failure?)`, `failure` being the `error.type` when the work failed.
 */
export function startSpan(
  name: string,
  attributes: TelemetryAttributes,
): TelemetrySpan & { end(failure?: string): void } {
  const api = openTelemetry;
  if (!api) return { ...NO_SPAN, end: () => undefined };
  const span = api.trace.getTracer(TELEMETRY_SCOPE).startSpan(name, { attributes });
  return {
    setAttributes: (more) => span.setAttributes(more),
    end: (failure?: string) => {
      if (failure === undefined) span.setStatus({ code: api.SpanStatusCode.OK });
      else {
        span.setAttribute('error.type', failure);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: failure });
      }
      span.end();
    },
  };
}

/** The `error.type` of a failure, as OpenTelemetry's conventions name it: the error's class, never its message. */
export function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name || error.name : typeof error;
}

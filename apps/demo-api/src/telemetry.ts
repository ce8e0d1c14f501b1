import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * The OpenTelemetry Node SDK, started when the SDK's own variables ask for it (`OTEL_TRACES_EXPORTER=console`,
 * `OTEL_METRICS_EXPORTER=console`, or `otlp` with `OTEL_EXPORTER_OTLP_ENDPOINT`): the SDK reads them itself.
 * Imported first by main.ts, before Nest and pg load, so the HTTP instrumentation wraps every request in a span
 * and Threadline's audit transactions record its trace. Without those variables nothing starts.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): NodeSDK | undefined {
  const wanted = ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER'].some((name) => env[name] && env[name] !== 'none');
  if (!wanted) return undefined;
  // the one not set would default to OTLP on localhost, failing quietly: only what was asked for runs
  for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER']) env[name] ??= 'none';
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'threadline-demo-api',
    instrumentations: [new HttpInstrumentation()],
  });
  sdk.start();
  return sdk;
}

export const telemetry = startTelemetry();

/** Flushes the last spans and metrics when the app shuts down (SIGTERM included: Nest's shutdown hooks run this). */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await telemetry?.shutdown();
  }
}

import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { startThreadlineMetrics } from '@threadline/core';

/**
 * Starts Threadline's OpenTelemetry metrics at boot (THREADLINE_METRICS, docs/observability.md) and stops them at
 * shutdown. Does nothing without `@opentelemetry/api` or a registered MeterProvider: start the SDK before Nest.
 */
@Injectable()
export class ThreadlineMetricsBridge implements OnModuleInit, OnModuleDestroy {
  private stop: () => void = () => undefined;

  onModuleInit(): void {
    this.stop = startThreadlineMetrics();
  }

  onModuleDestroy(): void {
    this.stop();
  }
}

import { subscribe, unsubscribe } from 'diagnostics_channel';
import type { Counter, Histogram, ObservableGauge } from '@opentelemetry/api' with { 'resolution-mode': 'import' };
import {
  BaselineBatchEvent,
  ExportFinishedEvent,
  HealthCheckedEvent,
  HealthErrorEvent,
  RetentionBatchEvent,
  RetentionPurgedEvent,
  THREADLINE_EVENT_NAMES,
  TransactionCommittedEvent,
  ActionRecordedEvent,
} from '../events/threadline-events';
import { errorType, openTelemetry, TELEMETRY_SCOPE, TelemetryAttributes } from './open-telemetry';

/** One of Threadline's metrics, as OpenTelemetry's naming conventions write it (UCUM units, dotted names). */
export interface ThreadlineMetric {
  name: string;
  instrument: 'counter' | 'histogram' | 'gauge';
  unit: string;
  description: string;
  /** Every attribute it carries; `error.type` only on failures. */
  attributes: readonly string[];
}

/** Every metric Threadline emits through the OpenTelemetry metrics API: the one list (the docs are generated from it). */
export const THREADLINE_METRICS = {
  transactions: {
    name: 'threadline.capture.transactions',
    instrument: 'counter',
    unit: '{transaction}',
    description:
      'Audited transactions committed through a TypeORM transaction; unattributed ones have `threadline.actor.attributed` false',
    attributes: ['threadline.actor.attributed'],
  },
  changes: {
    name: 'threadline.capture.changes',
    instrument: 'counter',
    unit: '{change}',
    description: 'Changes those transactions captured, by table (`schema.table`)',
    attributes: ['db.collection.name'],
  },
  actions: {
    name: 'threadline.actions',
    instrument: 'counter',
    unit: '{action}',
    description:
      'Actions `recordAction` inserted, by status (`ok`, `error`); one inserted in a transaction that then rolls back is counted too',
    attributes: ['threadline.action.status'],
  },
  coverage: {
    name: 'threadline.coverage.tables',
    instrument: 'gauge',
    unit: '{table}',
    description:
      'Tables at the last coverage check, by state: `covered`, `uncovered` (missing some or all capture triggers; partitions included), `drifted` (covered, but the deployed capture differs from the configuration)',
    attributes: ['threadline.coverage.state'],
  },
  healthFailures: {
    name: 'threadline.health.failures',
    instrument: 'counter',
    unit: '{check}',
    description: 'Coverage checks that could not run (database down, missing privilege)',
    attributes: ['error.type'],
  },
  purgeBatches: {
    name: 'threadline.retention.batches',
    instrument: 'counter',
    unit: '{batch}',
    description: 'Retention purge batches committed',
    attributes: [],
  },
  purgeDeleted: {
    name: 'threadline.retention.deleted',
    instrument: 'counter',
    unit: '{row}',
    description: 'Audit rows retention deleted, by audit table (`changes`, `transactions`)',
    attributes: ['threadline.audit.table'],
  },
  purgeDuration: {
    name: 'threadline.retention.duration',
    instrument: 'histogram',
    unit: 's',
    description: 'Retention purges (dry runs aside), by outcome (`completed`, `busy`, `disabled`, `error`)',
    attributes: ['threadline.retention.status', 'error.type'],
  },
  exportRows: {
    name: 'threadline.export.rows',
    instrument: 'counter',
    unit: '{row}',
    description: 'Changes exported, by format',
    attributes: ['threadline.export.format'],
  },
  exportDuration: {
    name: 'threadline.export.duration',
    instrument: 'histogram',
    unit: 's',
    description: 'Exports from the first byte to the last, by format (and `error.type` when one failed)',
    attributes: ['threadline.export.format', 'error.type'],
  },
  baselineSnapshots: {
    name: 'threadline.baseline.snapshots',
    instrument: 'counter',
    unit: '{row}',
    description: 'Baseline snapshots written, by table: the progress of a baseline',
    attributes: ['db.collection.name'],
  },
} as const satisfies Record<string, ThreadlineMetric>;

type MetricKey = keyof typeof THREADLINE_METRICS;

/** Durations in seconds, from a quick export to an hour-long purge (the SDK's default buckets are for milliseconds). */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

type Record_ = (metric: MetricKey, value: number, attributes?: TelemetryAttributes) => void;

const withError = (attributes: TelemetryAttributes, errorType: string | undefined) =>
  errorType === undefined ? attributes : { ...attributes, 'error.type': errorType };

/** How each event becomes measurements. */
const RECORDERS: { [E in keyof typeof THREADLINE_EVENT_NAMES]?: (event: never, record: Record_) => void } = {
  transactionCommitted: (e: TransactionCommittedEvent, record) => {
    record('transactions', 1, { 'threadline.actor.attributed': e.attributed });
    for (const c of e.changes) record('changes', c.count, { 'db.collection.name': c.table });
  },
  actionRecorded: (e: ActionRecordedEvent, record) => record('actions', 1, { 'threadline.action.status': e.status }),
  healthError: (e: HealthErrorEvent, record) => record('healthFailures', 1, { 'error.type': e.errorType }),
  retentionBatch: (e: RetentionBatchEvent, record) => {
    record('purgeBatches', 1);
    record('purgeDeleted', e.deletedChanges, { 'threadline.audit.table': 'changes' });
    record('purgeDeleted', e.deletedTransactions, { 'threadline.audit.table': 'transactions' });
  },
  retentionPurged: (e: RetentionPurgedEvent, record) =>
    record('purgeDuration', e.durationMs / 1000, withError({ 'threadline.retention.status': e.status }, e.errorType)),
  exportFinished: (e: ExportFinishedEvent, record) => {
    record('exportRows', e.rows, { 'threadline.export.format': e.format });
    record('exportDuration', e.durationMs / 1000, withError({ 'threadline.export.format': e.format }, e.errorType));
  },
  baselineBatch: (e: BaselineBatchEvent, record) =>
    record('baselineSnapshots', e.written, { 'db.collection.name': e.table }),
};

/**
 * Records Threadline's events as the metrics of THREADLINE_METRICS, through the app's OpenTelemetry MeterProvider.
 * ThreadlineModule calls it at boot; an app that imports the feature modules one by one can call it itself, after
 * its SDK has started. Does nothing (and costs nothing) without `@opentelemetry/api` or with no MeterProvider
 * registered: `threadline.capture.*` costs one query per audited transaction, so it runs only when something
 * collects it. Started by several apps in one process, it subscribes once. Returns the function that stops it
 * (the subscription ends when the last one stops).
 */
export function startThreadlineMetrics(): () => void {
  // one subscription per process, however many Nest apps start it (each would count every event again)
  if (!running) {
    const stop = subscribeMetrics();
    if (!stop) return () => undefined;
    running = { stop, users: 0 };
  }
  const current = running;
  current.users++;
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--current.users === 0 && running === current) {
      running = undefined;
      current.stop();
    }
  };
}

let running: { stop: () => void; users: number } | undefined;

function subscribeMetrics(): (() => void) | undefined {
  const api = openTelemetry;
  const meter = api?.metrics.getMeter(TELEMETRY_SCOPE);
  if (!api || !meter || meter === api.createNoopMeter()) return undefined;
  const instruments = new Map<MetricKey, Counter | Histogram>();
  const coverage = { covered: 0, uncovered: 0, drifted: 0 };
  let coverageSeen = false;
  let gauge: ObservableGauge | undefined;
  for (const [key, metric] of Object.entries(THREADLINE_METRICS) as [MetricKey, ThreadlineMetric][]) {
    const options = { unit: metric.unit, description: metric.description };
    if (metric.instrument === 'counter') instruments.set(key, meter.createCounter(metric.name, options));
    else if (metric.instrument === 'histogram')
      instruments.set(
        key,
        meter.createHistogram(metric.name, { ...options, advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
      );
    else {
      gauge = meter.createObservableGauge(metric.name, options);
      gauge.addCallback((result) => {
        if (!coverageSeen) return;
        for (const [state, count] of Object.entries(coverage))
          result.observe(count, { 'threadline.coverage.state': state });
      });
    }
  }
  const record: Record_ = (metric, value, attributes) => {
    const instrument = instruments.get(metric)!;
    if ('add' in instrument) instrument.add(value, attributes);
    else instrument.record(value, attributes);
  };
  const handlers = Object.entries(RECORDERS).map(([key, recorder]) => {
    const name = THREADLINE_EVENT_NAMES[key as keyof typeof THREADLINE_EVENT_NAMES];
    const handler = (event: unknown) => {
      // a subscriber's throw would surface as an uncaught exception (diagnostics_channel rethrows it on the next
      // tick): a malformed event (another Threadline copy's) is reported to OpenTelemetry's diagnostics instead
      try {
        recorder!(event as never, record);
      } catch (error) {
        api.diag.error(`Threadline metrics: ${name} not recorded`, errorType(error));
      }
    };
    subscribe(name, handler);
    return [name, handler] as const;
  });
  const onChecked = (event: unknown) => {
    const e = (event ?? {}) as Partial<HealthCheckedEvent>;
    Object.assign(coverage, { covered: e.covered ?? 0, uncovered: e.uncovered ?? 0, drifted: e.drifted ?? 0 });
    coverageSeen = true;
  };
  subscribe(THREADLINE_EVENT_NAMES.healthChecked, onChecked);
  return () => {
    for (const [name, handler] of handlers) unsubscribe(name, handler);
    unsubscribe(THREADLINE_EVENT_NAMES.healthChecked, onChecked);
  };
}

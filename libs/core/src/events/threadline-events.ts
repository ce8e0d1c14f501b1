import { channel, Channel } from 'diagnostics_channel';

/**
 * Threadline's events, on Node's `diagnostics_channel` (the platform's
 * counterpart of Elixir's `:telemetry`): publishing costs nothing when no one
 * subscribes. Subscribe with `diagnostics_channel.subscribe(name, fn)` or
 * `threadlineEvents.actionRecorded.subscribe(fn)`.
 */
export const THREADLINE_EVENT_NAMES = {
  actionRecorded: 'threadline:action:recorded',
  transactionCommitted: 'threadline:capture:transaction_committed',
  healthChecked: 'threadline:health:checked',
  healthError: 'threadline:health:error',
} as const;

export interface TransactionCommittedEvent {
  auditTransactionId: string;
  /** Audited tables the transaction changed. */
  tableCount: number;
}

export interface HealthCheckedEvent {
  covered: number;
  uncovered: number;
  /** Uncovered tables that are in neither expectedTables nor expectedUncoveredTables. */
  unclassified: number;
}

export interface HealthErrorEvent {
  error: string;
  /** Failures in a row, so a sustained outage stays visible instead of freezing at the last good count. */
  consecutiveFailures: number;
}

export interface ActionRecordedEvent {
  actionId: string;
  name: string;
  status: 'ok' | 'error';
  /** The audit transaction the action was linked to, if it was recorded inside one. */
  linkedTransaction: boolean;
}

export const threadlineEvents: Record<keyof typeof THREADLINE_EVENT_NAMES, Channel> = {
  actionRecorded: channel(THREADLINE_EVENT_NAMES.actionRecorded),
  transactionCommitted: channel(THREADLINE_EVENT_NAMES.transactionCommitted),
  healthChecked: channel(THREADLINE_EVENT_NAMES.healthChecked),
  healthError: channel(THREADLINE_EVENT_NAMES.healthError),
};

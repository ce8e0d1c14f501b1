import { ActorRef } from '@threadline/actor';
import { parseTableName } from '@threadline/capture';
import { CONTEXT_ID_MAX_BYTES, isIsoTimestamp, parseStoredJson, stringifyStoredJson } from '@threadline/core';
import { CHANGE_OPS } from './audit-change';
import { InvalidFilterError } from './query.errors';
import { Same } from './same';

/** The filter vocabulary shared by timeline, export, their HTTP routes and the CLI. */
export interface TimelineFilters {
  /** `table` or `schema.table`. */
  table?: string;
  /** `ActorRef`, `{ type, id }` or `type:id`. */
  actorRef?: ActorRef | { type: string; id?: string } | string;
  /** Inclusive lower bound on `captured_at`. */
  from?: Date | string;
  /** Inclusive upper bound on `captured_at`. */
  to?: Date | string;
  /** Changes whose transaction carries this correlation id, or links to an action that does. */
  correlationId?: string;
  /** One operation or several, comma-separated (`update`, `insert,delete`). */
  op?: string | string[];
  /** Changes of one row: its primary key as `table_pk` shows it (`{"id":1}`, a JSON text or an object); a key change matches by old and new key. */
  key?: string | Record<string, unknown>;
  /** Changes of one audit transaction (its id, a UUID): a large one is paged like any other timeline. */
  transactionId?: string;
  /** Changes made under one OpenTelemetry trace: its W3C trace id (32 hex digits), as `meta.trace_id` shows it. */
  traceId?: string;
}

export interface NormalizedFilters {
  table?: { schema: string; table: string };
  actor?: ActorRef;
  from?: string;
  to?: string;
  correlationId?: string;
  ops?: string[];
  /** The key as canonical JSON text. */
  key?: string;
  transactionId?: string;
  traceId?: string;
}

/**
 * One timeline filter, described once. The service's validation, the HTTP
 * query DTO, the page's form and the CLI's flags are all derived from
 * TIMELINE_FILTERS: adding a filter is one entry here plus its SQL.
 */
export interface TimelineFilterField {
  /** The key in TimelineFilters (`actorRef`). */
  key: keyof TimelineFilters;
  /** The query parameter, form field and (kebab-cased) CLI flag (`actor`, `--actor`). */
  param: string;
  /** The form label. */
  label: string;
  /** An example value: the form's placeholder. */
  example: string;
  /** The CLI flag's argument name (`--actor <type:id>`). */
  arg: string;
  /** What it selects, for `--help` and docs. */
  description: string;
  /** Longest accepted string, checked before anything else. */
  maxLength: number;
  /** Checks a given value and writes its normalized form; throws InvalidFilterError naming the rule. */
  normalize(value: unknown, out: NormalizedFilters): void;
  /** The normalized value as text, as export headers and manifests name it (undefined: not filtered by it). */
  shown(filters: NormalizedFilters): string | undefined;
}

function dateBound(key: 'from' | 'to') {
  return (value: unknown, out: NormalizedFilters) => {
    const date =
      value instanceof Date ? value : typeof value === 'string' && isIsoTimestamp(value) ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999)
      throw InvalidFilterError.date(key, value);
    // keep a string as given (microseconds survive), a Date as ISO
    out[key] = typeof value === 'string' ? value : date.toISOString();
  };
}

/**
 * A row key as `table_pk` shows it: a JSON object of the primary-key columns (`{"id":1}`), given as JSON text or
 * as an object; anything else is an InvalidFilterError naming `key` and the form. The `key` filter and the history
 * route both read keys with it.
 */
export function parseRowKey(value: unknown): Record<string, unknown> {
  let key: unknown = value;
  if (typeof value === 'string') {
    try {
      key = parseStoredJson(value);
    } catch {
      key = undefined;
    }
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key) || !Object.keys(key as object).length)
    throw InvalidFilterError.rowKey(value);
  // PostgreSQL text and jsonb hold no NUL: refused here, not as a database error
  if (hasNul(key)) throw InvalidFilterError.rowKeyNul();
  return key as Record<string, unknown>;
}

const hasNul = (v: unknown): boolean =>
  typeof v === 'string'
    ? v.includes('\0')
    : typeof v === 'object' && v !== null && Object.entries(v).some(([k, x]) => k.includes('\0') || hasNul(x));

/** The longest row key (JSON text) the `key` filter and the history route take: what a URL carries well. */
export const ROW_KEY_MAX_LENGTH = 2000;
/** A W3C trace id: 32 hex digits, not all zeros. */
export const TRACE_ID_PATTERN = /^(?!0{32}$)[0-9a-f]{32}$/i;

/** An audit transaction id: a UUID. */
export const TRANSACTION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const TIMELINE_FILTERS = [
  {
    key: 'table',
    param: 'table',
    label: 'Table',
    example: 'public.posts',
    arg: 'name',
    description: 'changes of one table (table or schema.table)',
    maxLength: 200,
    normalize(value, out) {
      if (typeof value !== 'string' || !value.trim()) throw InvalidFilterError.table();
      out.table = parseTableName(value.trim());
    },
    shown: (f) => f.table && `${f.table.schema}.${f.table.table}`,
  },
  {
    key: 'actorRef',
    param: 'actor',
    label: 'Actor',
    example: 'user:42',
    arg: 'type:id',
    description: 'changes made by one actor (type:id)',
    maxLength: 300,
    normalize(value, out) {
      try {
        out.actor = typeof value === 'string' ? ActorRef.parse(value) : ActorRef.of(value as never);
      } catch (error) {
        throw InvalidFilterError.actor((error as Error).message);
      }
    },
    shown: (f) => f.actor?.toString(),
  },
  {
    key: 'from',
    param: 'from',
    label: 'From',
    example: '2026-01-01T00:00:00Z',
    arg: 'timestamp',
    description: 'inclusive lower bound on captured_at',
    maxLength: 64,
    normalize: dateBound('from'),
    shown: (f) => f.from,
  },
  {
    key: 'to',
    param: 'to',
    label: 'To',
    example: '2026-01-31T23:59:59Z',
    arg: 'timestamp',
    description: 'inclusive upper bound on captured_at',
    maxLength: 64,
    normalize: dateBound('to'),
    shown: (f) => f.to,
  },
  {
    key: 'correlationId',
    param: 'correlationId',
    label: 'Correlation id',
    example: 'req-7f3a9c',
    arg: 'id',
    description: 'changes whose transaction (or its action) carries this correlation id',
    maxLength: CONTEXT_ID_MAX_BYTES,
    normalize(value, out) {
      if (typeof value !== 'string') throw InvalidFilterError.correlationNotString();
      const id = value.trim();
      if (!id) throw InvalidFilterError.correlationBlank();
      if (Buffer.byteLength(id) > CONTEXT_ID_MAX_BYTES)
        throw InvalidFilterError.correlationTooLong(CONTEXT_ID_MAX_BYTES);
      out.correlationId = id;
    },
    shown: (f) => f.correlationId,
  },
  {
    key: 'op',
    param: 'op',
    label: 'Operation',
    example: 'update',
    arg: 'op[,op]',
    description: `changes of these operations (${CHANGE_OPS.join(', ')}; comma-separated)`,
    maxLength: 100,
    normalize(value, out) {
      const ops = (Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value]).map((v) =>
        typeof v === 'string' ? v.trim() : v,
      );
      const bad = ops.filter((v) => !(CHANGE_OPS as readonly unknown[]).includes(v));
      if (!ops.length || bad.length) throw InvalidFilterError.ops(CHANGE_OPS, value);
      out.ops = [...new Set(ops as string[])];
    },
    shown: (f) => f.ops?.join(','),
  },
  {
    key: 'key',
    param: 'key',
    label: 'Record key',
    example: '{"id":1}',
    arg: 'json',
    description: 'changes of one row: its primary key as JSON, as table_pk shows it (with table, one row of one table)',
    maxLength: ROW_KEY_MAX_LENGTH,
    normalize(value, out) {
      out.key = stringifyStoredJson(parseRowKey(value));
    },
    shown: (f) => f.key,
  },
  {
    key: 'transactionId',
    param: 'transaction',
    label: 'Transaction',
    example: '3f2b9c1e-7d4a-4c55-9e0b-2a6f1d8c3b70',
    arg: 'uuid',
    description: 'changes of one audit transaction (its id, a UUID)',
    maxLength: 36,
    normalize(value, out) {
      if (typeof value !== 'string' || !TRANSACTION_ID_PATTERN.test(value.trim()))
        throw InvalidFilterError.transaction(value);
      out.transactionId = value.trim().toLowerCase();
    },
    shown: (f) => f.transactionId,
  },
  {
    key: 'traceId',
    param: 'traceId',
    label: 'Trace id',
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
    arg: 'id',
    description: 'changes made under this OpenTelemetry trace (its W3C trace id, 32 hex digits)',
    maxLength: 64, // the id with room for the blanks a paste brings, trimmed below
    normalize(value, out) {
      if (typeof value !== 'string' || !TRACE_ID_PATTERN.test(value.trim())) throw InvalidFilterError.traceId(value);
      out.traceId = value.trim().toLowerCase();
    },
    shown: (f) => f.traceId,
  },
] as const satisfies readonly TimelineFilterField[];

// Compile-time: exactly one entry per key of TimelineFilters (a filter added to one and not the other fails the build).
const everyFilterDescribed: Same<(typeof TIMELINE_FILTERS)[number]['key'], keyof TimelineFilters> = true;
void everyFilterDescribed;

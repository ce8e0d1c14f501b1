import { ActorRef } from '@threadline/actor';
import { parseTableName } from '@threadline/capture';
import { InvalidFilterError } from './export.error';

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
}

export const FILTER_KEYS = ['table', 'actorRef', 'from', 'to', 'correlationId'] as const;

export interface NormalizedFilters {
  table?: { schema: string; table: string };
  actor?: ActorRef;
  from?: string;
  to?: string;
  correlationId?: string;
}

/**
 * Validates filters; any other key, a blank or over-long correlation id, an
 * unparseable date or `from` after `to` is an InvalidFilterError that names
 * the allowed keys or the rule.
 */
export function normalizeFilters(filters: unknown): NormalizedFilters {
  if (filters === undefined || filters === null) return {};
  if (typeof filters !== 'object' || Array.isArray(filters))
    throw new InvalidFilterError(`filters must be an object with keys ${FILTER_KEYS.join(', ')}`);
  const input = filters as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !(FILTER_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new InvalidFilterError(
      `unknown filter ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed filters are exactly ${FILTER_KEYS.join(', ')}`,
    );
  }
  const out: NormalizedFilters = {};
  if (input.table !== undefined) {
    if (typeof input.table !== 'string' || !input.table.trim())
      throw new InvalidFilterError('table must be a non-empty table name (table or schema.table)');
    out.table = parseTableName(input.table.trim());
  }
  if (input.actorRef !== undefined) {
    try {
      out.actor = typeof input.actorRef === 'string' ? ActorRef.parse(input.actorRef) : ActorRef.of(input.actorRef);
    } catch (error) {
      throw new InvalidFilterError(`actorRef: ${(error as Error).message}`);
    }
  }
  for (const key of ['from', 'to'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime()))
      throw new InvalidFilterError(`${key} must be a date or ISO 8601 timestamp (got ${JSON.stringify(value)})`);
    // keep a string as given (microseconds survive), a Date as ISO
    out[key] = typeof value === 'string' ? value : date.toISOString();
  }
  if (out.from && out.to && new Date(out.from).getTime() > new Date(out.to).getTime()) {
    throw new InvalidFilterError(
      `from (${out.from}) is after to (${out.to}); from and to are inclusive bounds on captured_at`,
    );
  }
  if (input.correlationId !== undefined) {
    if (typeof input.correlationId !== 'string') throw new InvalidFilterError('correlationId must be a string');
    const id = input.correlationId.trim();
    if (!id) throw new InvalidFilterError('correlationId must not be blank');
    if (Buffer.byteLength(id) > 256) throw new InvalidFilterError('correlationId must be at most 256 bytes');
    out.correlationId = id;
  }
  return out;
}

/** Opaque keyset cursor over (captured_at, id). */
export function encodeCursor(capturedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([capturedAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { capturedAt: string; id: string } {
  try {
    const [capturedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof capturedAt === 'string' &&
      typeof id === 'string' &&
      /^\d+$/.test(id) &&
      !Number.isNaN(Date.parse(capturedAt))
    )
      return { capturedAt, id };
  } catch {
    // fall through
  }
  throw new InvalidFilterError('cursor is not one this API returned; pass nextCursor from the previous page unchanged');
}

import { isIsoTimestamp } from '@threadline/core';
import { InvalidPageError } from './query.errors';

/** Opaque keyset cursor over (captured_at, id). */
export function encodeCursor(capturedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([capturedAt, id])).toString('base64url');
}

const MAX_BIGINT = 9223372036854775807n;

export function decodeCursor(cursor: string): { capturedAt: string; id: string } {
  try {
    const [capturedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof capturedAt === 'string' &&
      typeof id === 'string' &&
      /^\d{1,19}$/.test(id) &&
      BigInt(id) <= MAX_BIGINT &&
      isIsoTimestamp(capturedAt)
    )
      return { capturedAt, id };
  } catch {
    // fall through
  }
  throw InvalidPageError.cursor();
}

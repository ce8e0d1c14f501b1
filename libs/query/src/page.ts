import { InvalidPageError } from './query.errors';

export interface Page<T> {
  changes: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
  /** Pass back as `before` for the previous (newer) page; null on the first page. (Timeline only.) */
  previousCursor?: string | null;
}

export interface PageOptions {
  /** @default 50, at most 1000 */
  limit?: number;
  /** The page after (older than) this cursor. */
  cursor?: string;
  /** The page before (newer than) this cursor; not with `cursor`. */
  before?: string;
}

export function pageLimit(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw InvalidPageError.limit(limit);
  return n;
}

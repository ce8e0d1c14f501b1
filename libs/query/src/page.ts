import { encodeCursor } from './cursor';
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
  /**
   * The most bytes of change JSON a page holds (timeline, historyPage, changesForTransaction): a page of large
   * values ends early, with `nextCursor` (or `previousCursor`) to the rest, so no request can hold more than this in
   * memory however large the stored values. A single change larger than this still fills a page on its own.
   * @default PAGE_MAX_BYTES (4 MiB), from 1 KiB to 64 MiB
   */
  maxBytes?: number;
}

/** Bytes of change JSON a page holds by default (PageOptions.maxBytes); previous images get as much again. */
export const PAGE_MAX_BYTES = 4 * 1024 * 1024;

const LEAST_BYTES = 1024;
const MOST_BYTES = 64 * 1024 * 1024;

export function pageLimit(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw InvalidPageError.limit(limit);
  return n;
}

export function pageBytes(maxBytes: number | undefined): number {
  const n = maxBytes ?? PAGE_MAX_BYTES;
  if (!Number.isInteger(n) || n < LEAST_BYTES || n > MOST_BYTES)
    throw InvalidPageError.maxBytes(maxBytes, LEAST_BYTES, MOST_BYTES);
  return n;
}

/**
 * The `keep` changes of a page nearest where it was read from (the rest did not fit its byte budget): for a page
 * read going older, its first ones, and its next page then starts right after the last kept; for one read going
 * newer (from `before`), its last ones, and its previous page starts right before the first kept. Either way,
 * paging on in the same direction reaches every change the cut left out.
 */
export function pageCut<T extends { captured_at: string; id: string }>(
  page: Page<T>,
  keep: number,
  direction: 'older' | 'newer' = 'older',
): Page<T> {
  if (keep >= page.changes.length) return page;
  const cursorOf = (c: T | undefined, otherwise: string | null | undefined) =>
    c ? encodeCursor(c.captured_at, c.id) : (otherwise ?? null);
  if (direction === 'newer') {
    const changes = page.changes.slice(page.changes.length - keep);
    return { ...page, changes, previousCursor: cursorOf(changes[0], page.previousCursor) };
  }
  const changes = page.changes.slice(0, keep);
  return { ...page, changes, nextCursor: cursorOf(changes[changes.length - 1], page.nextCursor) };
}

/**
 * The page a keyset read gave: `read` up to `limit` + 1 changes, in the order read (newest first when reading
 * older, oldest first when reading newer than a `before` cursor), `more` when some were left out (the extra one, or
 * a byte budget's cut). `cursorGiven`: the page was asked for with a cursor, so there are newer changes.
 */
export function keysetPage<T extends { captured_at: string; id: string }>(
  read: { changes: T[]; more: boolean },
  limit: number,
  direction: 'older' | 'newer',
  cursorGiven: boolean,
): Page<T> {
  const changes = direction === 'older' ? read.changes.slice(0, limit) : read.changes.slice(0, limit).reverse();
  const [first, last] = [changes[0], changes[changes.length - 1]];
  const cursor = (c: T | undefined, given: boolean) => (c && given ? encodeCursor(c.captured_at, c.id) : null);
  return direction === 'older'
    ? { changes, nextCursor: cursor(last, read.more), previousCursor: cursor(first, cursorGiven) }
    : { changes, nextCursor: cursor(last, true), previousCursor: cursor(first, read.more) };
}

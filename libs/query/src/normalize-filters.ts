import { InvalidFilterError } from './query.errors';
import { NormalizedFilters, TIMELINE_FILTERS, TimelineFilters } from './timeline-filters';

/** The filters' names in TimelineFilters, in TIMELINE_FILTERS order. */
export const FILTER_KEYS: readonly (keyof TimelineFilters)[] = TIMELINE_FILTERS.map((f) => f.key);

/**
 * Validates filters; any other key, a blank or over-long correlation id, an
 * unparseable date or `from` after `to` is an InvalidFilterError that names
 * the allowed keys or the rule.
 */
export function normalizeFilters(filters: unknown): NormalizedFilters {
  if (filters === undefined || filters === null) return {};
  if (typeof filters !== 'object' || Array.isArray(filters)) throw InvalidFilterError.notAnObject(FILTER_KEYS);
  const input = filters as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !(FILTER_KEYS as string[]).includes(k));
  if (unknown.length) {
    throw InvalidFilterError.unknown(unknown, FILTER_KEYS);
  }
  const out: NormalizedFilters = {};
  for (const field of TIMELINE_FILTERS) {
    const value = input[field.key];
    if (value === undefined) continue;
    // PostgreSQL text cannot hold NUL: refused here, as bad input, rather than failing the query.
    if (typeof value === 'string' && value.includes('\0')) throw InvalidFilterError.nul(field.key);
    field.normalize(value, out);
  }
  if (out.from && out.to && new Date(out.from).getTime() > new Date(out.to).getTime()) {
    throw InvalidFilterError.fromAfterTo(out.from, out.to);
  }
  return out;
}

/**
 * The filters in force, by their public name (`param`: the query parameter and CLI flag) with their normalized
 * value: what an export's JSON header and its manifest say it was cut with.
 */
export function describeFilters(filters: NormalizedFilters): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const field of TIMELINE_FILTERS) {
    const value = field.shown(filters);
    if (value !== undefined) shown[field.param] = value;
  }
  return shown;
}

/**
 * Filters from query parameters or CLI flags (keyed by `param`). With
 * `blankIsNone`, as a submitted form sends its empty fields, a blank value
 * is no filter.
 */
export function filtersFromParams(
  params: Record<string, unknown>,
  options: { blankIsNone?: boolean } = {},
): TimelineFilters {
  const filters: Record<string, unknown> = {};
  for (const field of TIMELINE_FILTERS) {
    const value = params[field.param];
    if (value === undefined) continue;
    if (options.blankIsNone && typeof value === 'string' && !value.trim()) continue;
    filters[field.key] = value;
  }
  return filters as TimelineFilters;
}

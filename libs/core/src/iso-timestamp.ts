const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Does ISO timestamp `value` name its time zone (`Z`, `+02:00`)? Without one PostgreSQL reads it in the session's. */
export function isoTimestampHasZone(value: string): boolean {
  return ISO.exec(value)?.[7] !== undefined;
}

/**
 * Is `value` an ISO 8601 date or timestamp that PostgreSQL reads as the same
 * instant JavaScript does? A real calendar date (no 2026-02-30), a time of
 * day within 00:00-23:59:59, years 0001-9999, at most microseconds. Looser
 * strings (`1`, `last tuesday`, year 275760) are refused rather than handed
 * to the database, which would fail the request with a 500 or read them
 * differently.
 */
export function isIsoTimestamp(value: string): boolean {
  const m = ISO.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  const offset = m[7] && m[7].toUpperCase() !== 'Z' ? m[7].replace(/^[+-]/, '') : undefined;
  if (offset && (Number(offset.slice(0, 2)) > 15 || Number(offset.replace(':', '').slice(2) || 0) > 59)) return false;
  return true;
}

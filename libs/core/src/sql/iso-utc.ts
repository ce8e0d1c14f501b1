/**
 * SQL for a timestamptz expression as ISO 8601 text in UTC with microseconds
 * (`2026-11-30T14:20:11.123456Z`), the same whatever the session's TimeZone
 * and DateStyle. Every timestamp Threadline hands out as text (exports, JSON
 * routes, integrity reports) is built here, so machines can parse all of them
 * one way and no microsecond is lost to a JavaScript Date.
 */
export function isoUtc(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

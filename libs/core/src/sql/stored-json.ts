import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

/**
 * A JSON number from the audit log as the library hands it on: a plain
 * `number` when that number writes back as exactly the stored digits
 * (`42`, `1.5`), else a `LosslessNumber` holding the stored text
 * (`12345678901234567.12345678`, `100.00`, `9007199254740993`, `-0`):
 * `String(n)` and `n.value` give the digits, `stringifyStoredJson` writes
 * them back unchanged.
 */
function storedNumber(text: string): number | LosslessNumber {
  const n = Number(text);
  // '-0', '1.0', '1e2' and every unsafe number fail the round trip
  return String(n) === text ? n : new LosslessNumber(text);
}

/**
 * Parses JSON text read from the audit tables (a jsonb column as `::text`)
 * without losing a digit: `JSON.parse` turns 12345678901234567.12345678 into
 * 12345678901234568 and 100.00 into 100. Use it for every image, key and
 * transaction read back to show or return (lossless-json; numbers as
 * `storedNumber` describes).
 */
export function parseStoredJson<T = unknown>(text: string): T {
  return parse(text, null, storedNumber) as T;
}

/** JSON text for a value read with parseStoredJson: every number with the digits it was stored with. */
export function stringifyStoredJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

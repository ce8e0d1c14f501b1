import { createHash } from 'crypto';
import { MAX_IDENTIFIER_BYTES } from '@threadline/core';

export const TRIGGER_PREFIX = 'threadline_audit_';

/**
 * PostgreSQL allows transition tables only on single-event triggers, so each
 * audited table has four statement triggers sharing one function:
 * `threadline_audit_<table>` (INSERT), `..._update`, `..._delete`, and
 * `..._trunc` (BEFORE TRUNCATE, which records the truncate and how many rows
 * the table held).
 */
export const TRIGGER_EVENTS = [
  { event: 'INSERT', suffix: '', referencing: 'NEW TABLE AS threadline_new' },
  { event: 'UPDATE', suffix: '_update', referencing: 'OLD TABLE AS threadline_old NEW TABLE AS threadline_new' },
  { event: 'DELETE', suffix: '_delete', referencing: 'OLD TABLE AS threadline_old' },
  { event: 'TRUNCATE', suffix: '_trunc', referencing: '' },
] as const;

// Names were shortened for the longest of the first three suffixes; '_trunc' fits inside it, so no name changes.
const LONGEST_SUFFIX = '_update'.length;

/**
 * `threadline_audit_<table>`: the INSERT trigger's name and the function's.
 * Names that would pass PostgreSQL's 63-byte limit (with room for a suffix)
 * are shortened with a hash instead of being silently truncated and colliding.
 */
export function triggerNameFor(table: string): string {
  const limit = MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX;
  const name = `${TRIGGER_PREFIX}${table}`;
  if (Buffer.byteLength(name) <= limit) return name;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  let head = name;
  while (Buffer.byteLength(`${head}_${hash}`) > limit) head = head.slice(0, -1);
  return `${head}_${hash}`;
}

/** Names of the four triggers of a table. */
export function triggerNamesFor(table: string): string[] {
  const base = triggerNameFor(table);
  return TRIGGER_EVENTS.map((e) => `${base}${e.suffix}`);
}

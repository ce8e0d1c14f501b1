import { gotText, ThreadlineError } from '@threadline/core';

// Every failure of the query lib: one class per kind, each message written once here, by a static factory,
// and saying what is allowed. The operator routes answer 400 for any InvalidQueryError.

/** An argument of a query or an export is not acceptable; the message names it and what is allowed. */
export class InvalidQueryError extends ThreadlineError {}

/** A timeline/export filter is not acceptable; the message names the filter and the rule. */
export class InvalidFilterError extends InvalidQueryError {
  static notAnObject(keys: readonly string[]) {
    return new this(`filters must be an object with keys ${keys.join(', ')}`);
  }
  static unknown(names: string[], keys: readonly string[]) {
    return new this(
      `unknown filter ${names.map((k) => JSON.stringify(k)).join(', ')}; allowed filters are exactly ${keys.join(', ')}`,
    );
  }
  static nul(key: string) {
    return new this(`${key} must not contain a NUL character`);
  }
  static fromAfterTo(from: string, to: string) {
    return new this(`from (${from}) is after to (${to}); from and to are inclusive bounds on captured_at`);
  }
  static date(key: string, value: unknown) {
    return new this(
      `${key} must be an ISO 8601 date or timestamp such as 2026-01-31 or 2026-01-31T23:59:59Z ${gotText(value)}`,
    );
  }
  static rowKey(value: unknown) {
    return new this(`key must be a JSON object of the row's primary-key columns, such as {"id":1} ${gotText(value)}`);
  }
  static rowKeyNul() {
    return new this('key must not contain a NUL character (\\u0000): no stored key can hold one');
  }
  static table() {
    return new this('table must be a non-empty table name (table or schema.table)');
  }
  static actor(reason: string) {
    return new this(`actor: ${reason}`);
  }
  static correlationNotString() {
    return new this('correlationId must be a string');
  }
  static correlationBlank() {
    return new this('correlationId must not be blank');
  }
  static correlationTooLong(maxBytes: number) {
    return new this(`correlationId must be at most ${maxBytes} bytes`);
  }
  static ops(allowed: readonly string[], value: unknown) {
    return new this(`op must be one or more of ${allowed.join(', ')}, comma-separated ${gotText(value)}`);
  }
  static transaction(value: unknown) {
    return new this(`transaction must be a UUID ${gotText(value)}`);
  }
  static traceId(value: unknown) {
    return new this(`traceId must be a W3C trace id: 32 hex digits, not all zeros ${gotText(value)}`);
  }
}

/** A paging or lookup argument (cursor, before, limit, a change or transaction id, an as-of time) is not acceptable. */
export class InvalidPageError extends InvalidQueryError {
  static cursorAndBefore() {
    return new this('pass cursor or before, not both');
  }
  static cursor() {
    return new this('cursor is not one this API returned; pass nextCursor from the previous page unchanged');
  }
  static limit(limit: unknown) {
    return new this(`limit must be an integer from 1 to 1000 ${gotText(limit)}`);
  }
  static maxBytes(maxBytes: unknown, least: number, most: number) {
    return new this(`maxBytes must be an integer from ${least} to ${most} ${gotText(maxBytes)}`);
  }
  static changeId(id: unknown, name = 'at') {
    return new this(`${name} must be a change id (a positive integer; got ${JSON.stringify(id)})`);
  }
  /** A record history named by neither its key nor a change (`given`: none), or by both. */
  static historyKey(given: 'none' | 'both') {
    return new this(
      given === 'none'
        ? "key must be a string: the row's primary key as JSON (or, instead, change=<one of the row's change ids>)"
        : "a record history takes the row's key (key=) or one of its change ids (change=), not both",
    );
  }
  static changeNotOfTable(id: string, table: string) {
    return new this(`change ${id} is not a change of a row of ${table} (a TRUNCATE names no row)`);
  }
  static asOfTime(at: unknown) {
    return new this(`at must be a Date or an ISO 8601 date or timestamp ${gotText(at)}`);
  }
  static transactionId(id: unknown) {
    return new this(`transaction id must be a UUID ${gotText(id)}`);
  }
}

/** The record a history or as-of asks for cannot be named that way: not a table, or a key of other columns. */
export class InvalidRecordError extends InvalidQueryError {
  static notATable(table: string) {
    return new this(`${table} is not a table`);
  }
  static compositeKey(table: string, columns: string[]) {
    return new this(`${table} has a composite primary key (${columns.join(', ')}); pass an object with each column`);
  }
  static keyColumns(table: string, columns: string[], given: string[]) {
    return new this(`the primary key of ${table} is (${columns.join(', ')}); got (${given.join(', ')})`);
  }
  static keyValue(table: string, column: string, type: string, value: unknown) {
    return new this(`${table}.${column} is ${type}: the key must give it a value of that type ${gotText(value)}`);
  }
}

/** `asOf`: the row was deleted (or its table truncated) at or before the requested time. */
export class DeletedRecordError extends ThreadlineError {
  readonly code = 'deleted_record';
  static deleted(label: string, at: string, when: string) {
    return new this(`${label} was deleted at ${at}, at or before ${when} (deleted_record)`);
  }
  static truncated(label: string, table: string, at: string, when: string) {
    return new this(`${label} was removed by a TRUNCATE of ${table} at ${at}, at or before ${when} (deleted_record)`);
  }
  /** The row's latest change at or before `when` removed it (a delete or a TRUNCATE). */
  static removedBy(
    label: string,
    change: { op: string; table_schema: string; table_name: string; captured_at: string },
    when: string,
  ) {
    return change.op === 'delete'
      ? this.deleted(label, change.captured_at, when)
      : this.truncated(label, `${change.table_schema}.${change.table_name}`, change.captured_at, when);
  }
}

/** `asOf`: the requested time is before the row's first captured change (no fake rows). */
export class BeforeAuditHorizonError extends ThreadlineError {
  readonly code = 'before_audit_horizon';
  static create(label: string, when: string) {
    return new this(
      `${label} has no captured change at or before ${when} (before_audit_horizon): its history starts later, or it was never captured`,
    );
  }
}

/** A COPY stream stopped before PostgreSQL finished it (the reader went away, or a cap was reached): its connection is closed, not pooled. */
export class CopyStoppedError extends ThreadlineError {
  static create() {
    return new this('export stopped before COPY finished');
  }
}

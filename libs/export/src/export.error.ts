import { ThreadlineError } from '@threadline/core';

/** A timeline/export filter or query argument is not acceptable; the message names the rule. */
export class InvalidFilterError extends ThreadlineError {}

/** `asOf`: the row was deleted at or before the requested time. */
export class DeletedRecordError extends ThreadlineError {
  readonly code = 'deleted_record';
}

/** `asOf`: the requested time is before the row's first captured change (no fake rows). */
export class BeforeAuditHorizonError extends ThreadlineError {
  readonly code = 'before_audit_horizon';
}

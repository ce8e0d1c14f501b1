// @threadline/query: exploration of the audit log (timeline, history, as-of, one transaction's changes
// and diffs), with the one description of an audit row that the exports and the operator's routes and
// pages derive their columns, CSV headers and schemas from. ThreadlineQueryModule provides AuditQueryService.
export * from './audit-change';
export type { ChangeOp } from './audit-row';
export { changeDiff, type ChangeDiff } from './change-diff';
export type { AuditAction, TransactionActions } from './audit-action';
export type { TimelineFilters } from './timeline-filters';
export * from './query.errors';
export { AuditQueryService } from './audit-query.service';
export { PAGE_MAX_BYTES, type Page, type PageOptions } from './page';
export type { PreviousImages } from './previous-images';
export { ThreadlineQueryModule } from './query.module';

// Internal: for @threadline/export, @threadline/operator and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { AUDIT_CHANGE_FIELDS, AUDIT_TRANSACTION_FIELDS, CSV_COLUMNS, type AuditField } from './audit-row';
export { AUDIT_ACTION_FIELDS } from './audit-action';
export { CHANGE_DIFF_FIELDS } from './change-diff';
export {
  TIMELINE_FILTERS,
  TRANSACTION_ID_PATTERN,
  TRACE_ID_PATTERN,
  ROW_KEY_MAX_LENGTH,
  parseRowKey,
  type NormalizedFilters,
  type TimelineFilterField,
} from './timeline-filters';
export { FILTER_KEYS, normalizeFilters, describeFilters, filtersFromParams } from './normalize-filters';
export { encodeCursor, decodeCursor } from './cursor';
export { AuditStorageShape, ChangesQuery, SelectHow } from './changes-query';

--# 014: indexes for the exploration queries (timeline by time, table, actor and correlation; row
--# history; actor history). They make those queries use an index at any size, and cost every audited
--# write (docs/capture-cost.md, docs/audit-indexing.md); capture.queryIndexes: false leaves this file
--# out for write-heavy deployments that only stream exports.
CREATE INDEX IF NOT EXISTS audit_changes_captured_at_idx ON :AUDIT_SCHEMA."audit_changes" (captured_at, id);
CREATE INDEX IF NOT EXISTS audit_changes_table_captured_at_idx ON :AUDIT_SCHEMA."audit_changes" (table_name, captured_at, id);
CREATE INDEX IF NOT EXISTS audit_changes_row_idx ON :AUDIT_SCHEMA."audit_changes" (table_name, table_pk);
CREATE INDEX IF NOT EXISTS audit_changes_previous_pk_idx ON :AUDIT_SCHEMA."audit_changes" (table_name, previous_pk) WHERE previous_pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_changes_truncate_idx ON :AUDIT_SCHEMA."audit_changes" (table_name, id) WHERE op = 'truncate';
CREATE INDEX IF NOT EXISTS audit_transactions_actor_idx ON :AUDIT_SCHEMA."audit_transactions" (actor_ref, occurred_at);
CREATE INDEX IF NOT EXISTS audit_transactions_correlation_idx ON :AUDIT_SCHEMA."audit_transactions" (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_transactions_action_idx ON :AUDIT_SCHEMA."audit_transactions" (action_id) WHERE action_id IS NOT NULL;
-- v9: the timeline's trace id filter (a transaction's trace context is its meta; see 002)
CREATE INDEX IF NOT EXISTS audit_transactions_trace_idx ON :AUDIT_SCHEMA."audit_transactions" ((meta->>'trace_id')) WHERE meta IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_actions_correlation_idx ON :AUDIT_SCHEMA."audit_actions" (correlation_id) WHERE correlation_id IS NOT NULL;

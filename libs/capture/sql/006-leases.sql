--# 006: maintenance leases (lease.ts holds and renews them): who runs a purge or a table's baseline,
--# until when. Leases instead of session advisory locks: a lease is a row, so it holds the same through
--# PgBouncer's transaction pooling. A holder killed mid-run frees it at once when its server session is
--# gone, else when it expires. Only the owner (who purges and baselines) may write it.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_leases" (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  backend_pid int NOT NULL
);

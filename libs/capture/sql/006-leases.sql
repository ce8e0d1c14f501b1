CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_leases" (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  backend_pid int NOT NULL
);

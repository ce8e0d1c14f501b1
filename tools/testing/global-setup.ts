import { chmodSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startPostgres, PostgresHandle } from '../embedded-postgres/src';

/**
 * Jest global setup shared by every project: one real PostgreSQL per test run
 * of a project. TEST_DATABASE_URL points the suite at an existing server
 * instead (CI uses it for Debian's PostgreSQL 15). Each test file then makes
 * its own database through `createTestDatabase()`.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.THREADLINE_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const parent = mkdtempSync(path.join(tmpdir(), 'threadline-test-'));
  chmodSync(parent, 0o755); // as root, the server runs as the unprivileged postgres user, who must reach it
  const dataDir = path.join(parent, 'pg');
  const handle = await startPostgres({ dataDir, persistent: false });
  (globalThis as { __threadlinePostgres?: PostgresHandle }).__threadlinePostgres = handle;
  process.env.THREADLINE_TEST_ADMIN_URL = handle.url;
}

import { randomBytes } from 'crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection URL of a fresh, empty database of its own. */
  url: string;
  /** Runs SQL on the test database with a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.THREADLINE_TEST_ADMIN_URL;
  if (!url)
    throw new Error(
      'THREADLINE_TEST_ADMIN_URL is not set: run tests through jest (its global setup starts PostgreSQL).',
    );
  return url;
}

/** A new database on the suite's PostgreSQL, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tl_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  return {
    url: dbUrl,
    async query(sql, params) {
      const client = new Client({ connectionString: dbUrl });
      await client.connect();
      try {
        return (await client.query(sql, params as unknown[])).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      const client = new Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * `app.init()`, closing the app when it throws: Nest leaves the database pool
 * open after a failed init, which would keep Jest from exiting.
 */
export async function initOrClose<T extends { init(): Promise<unknown>; close(): Promise<void> }>(app: T): Promise<T> {
  try {
    await app.init();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/**
 * For suites whose point does not depend on the server's major (commands, docs, packaging, pages, large
 * volumes) and that are slow: CI runs the whole suite twice (embedded PostgreSQL 17, then Debian's 15, where
 * tools/ci/with-debian-postgres.sh sets THREADLINE_CI_SECOND_PASS), and these run on the first pass only, to keep
 * CI inside its time budget. The SQL they drive is tested on both majors by the libs' own suites. A developer's
 * own TEST_DATABASE_URL runs them.
 */
export const describeOnOneMajor: jest.Describe = process.env.THREADLINE_CI_SECOND_PASS ? describe.skip : describe;

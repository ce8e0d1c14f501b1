import { Logger } from '@nestjs/common';
import { startPostgres } from '@threadline/embedded-postgres';
import * as path from 'path';

export interface DemoDatabase {
  url: string;
  stop(): Promise<void>;
}

/** The workspace's `.data/pg`, git-ignored; it survives restarts. */
const DATA_DIR = path.resolve(__dirname, '..', '..', '..', '..', '.data', 'pg');

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL that the demo
 * starts itself (and reuses if the app or the CLI already started it).
 */
export async function openDemoDatabase(
  say: (line: string) => void = (line) => new Logger('EmbeddedPostgres').log(line),
): Promise<DemoDatabase> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  // PostgreSQL's own log lines are dropped; a failed start reports its reason in the error.
  const handle = await startPostgres({ dataDir: DATA_DIR, port });
  say(
    handle.startedHere
      ? `Started embedded PostgreSQL on port ${port} (data in ${handle.dataDir})`
      : `Using the embedded PostgreSQL already running on ${handle.dataDir}`,
  );
  return { url: handle.url, stop: () => handle.stop() };
}

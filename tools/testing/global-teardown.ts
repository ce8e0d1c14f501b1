import type { PostgresHandle } from '../embedded-postgres/src';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __threadlinePostgres?: PostgresHandle }).__threadlinePostgres?.stop();
}

export { startPostgres, PostgresHandle, StartPostgresOptions } from './start-postgres';
export { findFreePort } from './free-port';

// @threadline/core: what every Threadline lib shares. Errors and their
// messages, the options problem collector, SQL quoting and the parameter
// builder, strict ISO 8601 timestamps, lossless JSON for stored values, the audit table names, the
// transaction-id cache format, the event
// channels, and the CLI kit (output, list and integer parsing, progress). It depends on no other Threadline lib.
export * from './core.errors';
export { privilegeMessage } from './core.messages';
export * from './validate-options';
export * from './iso-timestamp';
export * from './sql/quote';
export * from './sql/params';
export * from './sql/iso-utc';
export * from './sql/audit-tables';
export * from './sql/transaction-cache';
export * from './sql/stored-json';
export * from './events/threadline-events';
export * from './cli/command-output';
export * from './cli/command-flags';
export * from './cli/cli-logger';
export * from './cli/cli-command';
export * from './actor/actor-rules';
export * from './nest/scheduler-registry';
